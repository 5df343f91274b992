import * as assert from "assert";
import { ReleaseRuleError } from "../../src/release/errors";
import {
    ImageReference,
    sameRepository,
    formatReference,
    isDigest,
    parseReference,
    pinned,
} from "../../src/release/reference";

const D = "sha256:" + "a".repeat(64);

describe("parseReference", () => {
    const ok: [string, ImageReference][] = [
        ["nginx", { registry: "docker.io", path: "library/nginx", name: "docker.io/library/nginx" }],
        [
            "nginx:1.25",
            { registry: "docker.io", path: "library/nginx", name: "docker.io/library/nginx", tag: "1.25" },
        ],
        ["bitnami/redis", { registry: "docker.io", path: "bitnami/redis", name: "docker.io/bitnami/redis" }],
        [
            "docker.io/nginx",
            { registry: "docker.io", path: "library/nginx", name: "docker.io/library/nginx" },
        ],
        [
            "index.docker.io/nginx",
            { registry: "docker.io", path: "library/nginx", name: "docker.io/library/nginx" },
        ],
        [
            "registry-1.docker.io/a/b:c",
            { registry: "docker.io", path: "a/b", name: "docker.io/a/b", tag: "c" },
        ],
        ["ghcr.io/org/app", { registry: "ghcr.io", path: "org/app", name: "ghcr.io/org/app" }],
        ["localhost/app", { registry: "localhost", path: "app", name: "localhost/app" }],
        [
            "localhost:5000/app:v1",
            { registry: "localhost:5000", path: "app", name: "localhost:5000/app", tag: "v1" },
        ],
        [
            "127.0.0.1:5000/image-release/hello:1.4.2",
            {
                registry: "127.0.0.1:5000",
                path: "image-release/hello",
                name: "127.0.0.1:5000/image-release/hello",
                tag: "1.4.2",
            },
        ],
        [
            `127.0.0.1:5000/image-release/hello@${D}`,
            {
                registry: "127.0.0.1:5000",
                path: "image-release/hello",
                name: "127.0.0.1:5000/image-release/hello",
                digest: D,
            },
        ],
        [
            `127.0.0.1:5000/a/b:1.4@${D}`,
            { registry: "127.0.0.1:5000", path: "a/b", name: "127.0.0.1:5000/a/b", tag: "1.4", digest: D },
        ],
        ["[::1]:5000/app", { registry: "[::1]:5000", path: "app", name: "[::1]:5000/app" }],
        [
            "my-reg.example.com:443/a_b/c.d/e__f/g--h",
            {
                registry: "my-reg.example.com:443",
                path: "a_b/c.d/e__f/g--h",
                name: "my-reg.example.com:443/a_b/c.d/e__f/g--h",
            },
        ],
        [
            "app:" + "x".repeat(128),
            {
                registry: "docker.io",
                path: "library/app",
                name: "docker.io/library/app",
                tag: "x".repeat(128),
            },
        ],
        [
            "app:_under.score-1",
            {
                registry: "docker.io",
                path: "library/app",
                name: "docker.io/library/app",
                tag: "_under.score-1",
            },
        ],
    ];
    for (const [input, want] of ok) {
        it(`parses ${input.length > 60 ? input.slice(0, 60) + "…" : input}`, () => {
            assert.deepStrictEqual(parseReference(input), want);
        });
    }

    const bad: [string, string][] = [
        ["", 'invalid reference "": empty'],
        ["a b", 'invalid reference "a b": contains whitespace'],
        [
            "imagerelease:s3cret@127.0.0.1:5001/review/x",
            'invalid reference "<redacted>@127.0.0.1:5001/review/x": credentials do not belong in an image reference (use docker login or the credentials argument)',
        ],
        [
            "token@ghcr.io/org/app:1.0",
            'invalid reference "<redacted>@ghcr.io/org/app:1.0": credentials do not belong in an image reference (use docker login or the credentials argument)',
        ],
        [
            "https://user:pw@ghcr.io/org/app",
            'invalid reference "https://<redacted>@ghcr.io/org/app": a reference has no URL scheme (drop "https://")',
        ],
        [
            "http://127.0.0.1:5000/app",
            'invalid reference "http://127.0.0.1:5000/app": a reference has no URL scheme (drop "http://")',
        ],
        ["Nginx", 'invalid reference "Nginx": repository path "library/Nginx" must be lowercase'],
        [
            "ghcr.io/Org/app",
            'invalid reference "ghcr.io/Org/app": repository path "Org/app" must be lowercase',
        ],
        ["ghcr.io//app", 'invalid reference "ghcr.io//app": empty path component in "/app"'],
        ["ghcr.io/app/", 'invalid reference "ghcr.io/app/": empty path component in "app/"'],
        [
            "ghcr.io/a..b",
            'invalid reference "ghcr.io/a..b": path component "a..b" must be lowercase alphanumerics separated by ".", "_", "__" or "-"',
        ],
        [
            "ghcr.io/a___b",
            'invalid reference "ghcr.io/a___b": path component "a___b" must be lowercase alphanumerics separated by ".", "_", "__" or "-"',
        ],
        [
            "ghcr.io/-a",
            'invalid reference "ghcr.io/-a": path component "-a" must be lowercase alphanumerics separated by ".", "_", "__" or "-"',
        ],
        ["app:", 'invalid reference "app:": empty tag after ":"'],
        [":tag", 'invalid reference ":tag": empty repository name'],
        ["app:-bad", 'invalid reference "app:-bad": tag "-bad" must match [\\w][\\w.-]{0,127}'],
        [
            "app:" + "x".repeat(129),
            `invalid reference "app:${"x".repeat(129)}": tag "${"x".repeat(129)}" is 129 characters, the limit is 128`,
        ],
        [
            "app@sha256:abc",
            'invalid reference "app@sha256:abc": digest "sha256:abc" has 3 hex characters, expected 64',
        ],
        [
            `app@sha256:${"A".repeat(64)}`,
            `invalid reference "app@sha256:${"A".repeat(64)}": digest "sha256:${"A".repeat(64)}" must be sha256:<64 lowercase hex>`,
        ],
        [
            `app@md5:${"a".repeat(32)}`,
            `invalid reference "app@md5:${"a".repeat(32)}": digest "md5:${"a".repeat(32)}" must be sha256:<64 lowercase hex>`,
        ],
        [
            "bad_host.io:x/app",
            'invalid reference "bad_host.io:x/app": registry "bad_host.io:x" is not a valid host[:port]',
        ],
    ];
    for (const [input, message] of bad) {
        it(`refuses ${JSON.stringify(input.length > 60 ? input.slice(0, 60) + "…" : input)}`, () => {
            assert.throws(
                () => parseReference(input),
                (e: unknown) => e instanceof ReleaseRuleError && e.message === message,
            );
        });
    }
});

describe("formatReference / pinned / isDigest", () => {
    it("round-trips name:tag@digest", () => {
        assert.strictEqual(
            formatReference(parseReference(`127.0.0.1:5000/a/b:1.4@${D}`)),
            `127.0.0.1:5000/a/b:1.4@${D}`,
        );
    });
    it("pinned drops the tag", () => {
        assert.strictEqual(pinned(`127.0.0.1:5000/a/b:1.4@${D}`), `127.0.0.1:5000/a/b@${D}`);
    });
    it("pinned refuses a reference without digest", () => {
        assert.throws(
            () => pinned("127.0.0.1:5000/a/b:1.4"),
            (e: unknown) =>
                e instanceof ReleaseRuleError &&
                e.message ===
                    'reference "127.0.0.1:5000/a/b:1.4" has no digest; expected <name>@sha256:<64 hex>',
        );
    });
    const digests: [string, boolean][] = [
        [D, true],
        ["sha256:" + "a".repeat(63), false],
        ["sha256:" + "A".repeat(64), false],
        ["sha512:" + "a".repeat(64), false],
    ];
    for (const [s, want] of digests)
        it(`isDigest(${s.slice(0, 12)}…${s.length}) = ${want}`, () => assert.strictEqual(isDigest(s), want));
});

describe("sameRepository (one repository however it is spelled)", () => {
    const rows: [string, string, boolean][] = [
        ["acme/api", "docker.io/acme/api", true],
        ["index.docker.io/acme/api", "docker.io/acme/api", true],
        ["nginx", "docker.io/library/nginx", true],
        ["127.0.0.1:5000/shop/api", "127.0.0.1:5000/shop/api", true],
        ["127.0.0.1:5000/shop/api", "127.0.0.1:5001/shop/api", false],
        ["ghcr.io/acme/api", "docker.io/acme/api", false],
        ["Not A Repo", "Not A Repo", true],
    ];
    for (const [a, b, want] of rows)
        it(`${a} ~ ${b} -> ${want}`, () => assert.strictEqual(sameRepository(a, b), want));
});
