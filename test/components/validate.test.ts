import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { digestProblems, repositoryProblems, throwIfProblems } from "../../src/components/validate";

const D = "sha256:" + "0123456789abcdef".repeat(4);

describe("components/validate", () => {
    const digests: { input: string | undefined; expected: string[] }[] = [
        { input: D, expected: [] },
        { input: undefined, expected: ["is required (a sha256:<64 hex> digest)"] },
        { input: "1.4.2", expected: ['must be a sha256 digest, not a tag (got "1.4.2")'] },
        { input: "latest", expected: ['must be a sha256 digest, not a tag (got "latest")'] },
        {
            input: "sha256:abcdef123456",
            expected: ['is a short digest (12 of 64 hex characters) (got "sha256:abcdef123456")'],
        },
        {
            input: "sha256:" + "A".repeat(64),
            expected: [`must be sha256:<64 lowercase hex> (got "sha256:${"A".repeat(64)}")`],
        },
    ];
    for (const c of digests) {
        it(`digestProblems(${String(c.input)})`, () => {
            assert.deepStrictEqual(
                digestProblems("digest", c.input).map((p) => p.reason),
                c.expected,
            );
        });
    }

    const repos: { input: string; expected: string[] }[] = [
        { input: "127.0.0.1:5000/image-release/hello", expected: [] },
        {
            input: "127.0.0.1:5000/image-release/hello:1.4.2",
            expected: ['must not contain a tag (got "127.0.0.1:5000/image-release/hello:1.4.2")'],
        },
        {
            input: `127.0.0.1:5000/hello@${D}`,
            expected: [`must not contain a digest (got "127.0.0.1:5000/hello@${D}")`],
        },
        { input: "", expected: ["is required"] },
        {
            input: "Bad Repo",
            expected: ['is not a valid repository name: contains whitespace (got "Bad Repo")'],
        },
        // The old loose pattern [a-z0-9][a-z0-9._:/-]* accepted all of the following.
        {
            input: "a//b",
            expected: ['is not a valid repository name: empty path component in "a//b" (got "a//b")'],
        },
        {
            input: "127.0.0.1:5000/image-release/",
            expected: [
                'is not a valid repository name: empty path component in "image-release/" (got "127.0.0.1:5000/image-release/")',
            ],
        },
        {
            input: "127.0.0.1:5000/hello..world",
            expected: [
                'is not a valid repository name: path component "hello..world" must be lowercase alphanumerics separated by ".", "_", "__" or "-" (got "127.0.0.1:5000/hello..world")',
            ],
        },
        {
            input: "registry-.example.com/hello",
            expected: [
                'is not a valid repository name: registry "registry-.example.com" is not a valid host[:port] (got "registry-.example.com/hello")',
            ],
        },
        { input: "hello", expected: [] },
    ];
    for (const c of repos) {
        it(`repositoryProblems(${JSON.stringify(c.input)})`, () => {
            assert.deepStrictEqual(
                repositoryProblems("repository", c.input).map((p) => p.reason),
                c.expected,
            );
        });
    }

    it("throws one InputPropertiesError listing every problem", () => {
        assert.throws(
            () =>
                throwIfProblems("X", "n", [
                    { propertyPath: "a", reason: "r1" },
                    { propertyPath: "b", reason: "r2" },
                ]),
            (e: unknown) =>
                pulumi.InputPropertiesError.isInstance(e) &&
                e.message === 'invalid arguments for X "n":\n  a: r1\n  b: r2' &&
                e.errors.length === 2,
        );
        assert.doesNotThrow(() => throwIfProblems("X", "n", []));
    });
});
