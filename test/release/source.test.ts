import * as assert from "assert";
import {
    configuredSourceProblem,
    sourceUrlFromGitRemote,
    sourceUrlFromPackageRepository,
} from "../../src/release/source";

describe("release/source", () => {
    const remotes: { input: string; expected: string | undefined }[] = [
        { input: "git@github.com:acme/hello.git", expected: "https://github.com/acme/hello" },
        { input: "github.com:acme/hello", expected: "https://github.com/acme/hello" },
        { input: "ssh://git@gitlab.com:2222/acme/hello.git", expected: "https://gitlab.com/acme/hello" },
        { input: "git://example.org/acme/hello.git", expected: "https://example.org/acme/hello" },
        { input: "https://github.com/acme/hello.git", expected: "https://github.com/acme/hello" },
        // The label is public; a token in the remote URL must not end up in it.
        { input: "https://ci:s3cret@github.com/acme/hello.git", expected: "https://github.com/acme/hello" },
        { input: "http://127.0.0.1:3000/acme/hello/", expected: "http://127.0.0.1:3000/acme/hello" },
        { input: "/srv/git/hello.git", expected: undefined },
        { input: "file:///srv/git/hello.git", expected: undefined },
        { input: "../hello", expected: undefined },
        { input: "github:acme/hello", expected: undefined },
    ];
    for (const c of remotes) {
        it(`sourceUrlFromGitRemote(${JSON.stringify(c.input)})`, () => {
            assert.strictEqual(sourceUrlFromGitRemote(c.input), c.expected);
        });
    }

    const repositories: { input: unknown; expected: string | undefined }[] = [
        { input: "acme/hello", expected: "https://github.com/acme/hello" },
        { input: "github:acme/hello", expected: "https://github.com/acme/hello" },
        { input: "gitlab:acme/hello", expected: "https://gitlab.com/acme/hello" },
        { input: "bitbucket:acme/hello", expected: "https://bitbucket.org/acme/hello" },
        {
            input: { type: "git", url: "git+https://github.com/acme/hello.git" },
            expected: "https://github.com/acme/hello",
        },
        {
            input: { type: "git", url: "git+ssh://git@github.com/acme/hello.git" },
            expected: "https://github.com/acme/hello",
        },
        { input: "gist:11081aaa281", expected: undefined },
        { input: { type: "git" }, expected: undefined },
        { input: 42, expected: undefined },
        { input: undefined, expected: undefined },
    ];
    for (const c of repositories) {
        it(`sourceUrlFromPackageRepository(${JSON.stringify(c.input)})`, () => {
            assert.strictEqual(sourceUrlFromPackageRepository(c.input), c.expected);
        });
    }

    const configured: { input: string; expected: string | undefined }[] = [
        { input: "https://github.com/acme/hello", expected: undefined },
        { input: "http://127.0.0.1:3000/acme/hello", expected: undefined },
        { input: "file:///work/main", expected: "expected an http(s) URL without credentials" },
        {
            input: "https://ci:s3cret@github.com/acme/hello",
            expected: "expected an http(s) URL without credentials",
        },
        { input: "github.com/acme/hello", expected: "expected an http(s) URL without credentials" },
    ];
    for (const c of configured) {
        it(`configuredSourceProblem(${JSON.stringify(c.input)})`, () => {
            assert.strictEqual(configuredSourceProblem(c.input), c.expected);
        });
    }
});
