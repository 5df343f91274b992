import * as assert from "assert";
import { parseReference, redactCredentials } from "../../src/release";

const D = "sha256:" + "a".repeat(64);

describe("redactCredentials (a reference or URL that is safe to quote in a message)", () => {
    const rows: [string, string][] = [
        ["user:s3cret@registry.example.com/app", "<redacted>@registry.example.com/app"],
        ["token@ghcr.io/org/app:1.0", "<redacted>@ghcr.io/org/app:1.0"],
        ["u:p@ss@127.0.0.1:5001/a", "<redacted>@127.0.0.1:5001/a"],
        ["user:s3cret@host.io/repo:bad tag", "<redacted>@host.io/repo:bad tag"],
        ["https://user:pw@ghcr.io/org/app", "https://<redacted>@ghcr.io/org/app"],
        ["docker://user:p@w@ghcr.io/org/app", "docker://<redacted>@ghcr.io/org/app"],
        ["https://git.example.com/team/app", "https://git.example.com/team/app"],
        [`ghcr.io/org/app:1.0@${D}`, `ghcr.io/org/app:1.0@${D}`],
        [`app@${D}`, `app@${D}`],
        ["app@sha256:abc", "app@sha256:abc"],
        ["127.0.0.1:5000/image-release/hello", "127.0.0.1:5000/image-release/hello"],
        ["admin:hunter2@registry.local", "<redacted>@registry.local"],
        // An scp-style git remote names a user, not a secret; with a password it is redacted.
        ["git@git.example.com:team/hello", "git@git.example.com:team/hello"],
        ["git:tok@git.example.com:team/hello", "<redacted>@git.example.com:team/hello"],
        ["token@127.0.0.1:5001/team/app", "<redacted>@127.0.0.1:5001/team/app"],
        // A password holding "/" is still a password: the "@" before host/path ends it.
        ["user:p/ss@registry.example.com/app", "<redacted>@registry.example.com/app"],
        ["user:a/b/c@127.0.0.1:5001/team/app:1.0", "<redacted>@127.0.0.1:5001/team/app:1.0"],
        [
            "127.0.0.1:5000/team/app@sha256:" + "a".repeat(64),
            "127.0.0.1:5000/team/app@sha256:" + "a".repeat(64),
        ],
        ["admin:hunter2@registry.local:5000", "<redacted>@registry.local:5000"],
        [`nginx:1.25@${D}`, `nginx:1.25@${D}`],
        ["", ""],
    ];
    for (const [input, shown] of rows) {
        it(`${JSON.stringify(input)} -> ${JSON.stringify(shown)}`, () => {
            assert.strictEqual(redactCredentials(input), shown);
        });
    }

    // Each of parseReference's refusals that quote the input: none may carry the password.
    const refusals: [string, string][] = [
        ["user:s3cret@host.io/repo ", 'invalid reference "<redacted>@host.io/repo ": contains whitespace'],
        [
            "user:s3cret@host.io/repo:bad tag",
            'invalid reference "<redacted>@host.io/repo:bad tag": contains whitespace',
        ],
        [
            "u:p@ss@host.io/repo",
            'invalid reference "<redacted>@host.io/repo": credentials do not belong in an image reference (use docker login or the credentials argument)',
        ],
        [
            "admin:hunter2@registry.local",
            'invalid reference "<redacted>@registry.local": digest "registry.local" must be sha256:<64 lowercase hex>',
        ],
    ];
    for (const [input, message] of refusals) {
        it(`parseReference never quotes the password of ${JSON.stringify(input)}`, () => {
            assert.throws(
                () => parseReference(input),
                (e: unknown) => e instanceof Error && e.message === message,
            );
        });
    }
});
