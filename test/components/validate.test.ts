import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    digestProblems,
    namespaceProblems,
    nonNegativeIntegerProblems,
    portProblems,
    repositoryProblems,
    throwIfProblems,
} from "../../src/components/validate";

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
        // Credentials typed into the repository are never quoted back (issue 16 item 8).
        {
            input: "user:s3cret@127.0.0.1:5000/hello",
            expected: ['must not contain a digest (got "<redacted>@127.0.0.1:5000/hello")'],
        },
    ];
    for (const c of repos) {
        it(`repositoryProblems(${JSON.stringify(c.input)})`, () => {
            assert.deepStrictEqual(
                repositoryProblems("repository", c.input).map((p) => p.reason),
                c.expected,
            );
        });
    }

    const counts: { input: number | undefined; expected: string[] }[] = [
        { input: undefined, expected: [] },
        { input: 0, expected: [] },
        { input: 3, expected: [] },
        { input: -1, expected: ['must be a non-negative integer (got "-1")'] },
        { input: 1.5, expected: ['must be a non-negative integer (got "1.5")'] },
        { input: NaN, expected: ['must be a non-negative integer (got "NaN")'] },
        { input: Infinity, expected: ['must be a non-negative integer (got "Infinity")'] },
    ];
    for (const c of counts) {
        it(`nonNegativeIntegerProblems(${String(c.input)})`, () => {
            assert.deepStrictEqual(
                nonNegativeIntegerProblems("replicas", c.input).map((p) => p.reason),
                c.expected,
            );
        });
    }

    const ports: { input: number | undefined; expected: string[] }[] = [
        { input: undefined, expected: [] },
        { input: 1, expected: [] },
        { input: 8080, expected: [] },
        { input: 65535, expected: [] },
        { input: 0, expected: ['must be an integer from 1 to 65535 (got "0")'] },
        { input: 65536, expected: ['must be an integer from 1 to 65535 (got "65536")'] },
        { input: -80, expected: ['must be an integer from 1 to 65535 (got "-80")'] },
        { input: 80.5, expected: ['must be an integer from 1 to 65535 (got "80.5")'] },
    ];
    for (const c of ports) {
        it(`portProblems(${String(c.input)})`, () => {
            assert.deepStrictEqual(
                portProblems("containerPort", c.input).map((p) => p.reason),
                c.expected,
            );
        });
    }

    const label = (v: string) =>
        `must be an RFC 1123 label: lowercase alphanumerics or "-", starting and ending with an alphanumeric (got "${v}")`;
    const namespaces: { input: string | undefined; expected: string[] }[] = [
        { input: undefined, expected: [] },
        { input: "default", expected: [] },
        { input: "kube-system", expected: [] },
        { input: "0", expected: [] },
        { input: "a".repeat(63), expected: [] },
        {
            input: "a".repeat(64),
            expected: [
                `must be an RFC 1123 label of at most 63 characters, not 64 (got "${"a".repeat(64)}")`,
            ],
        },
        { input: "", expected: [label("")] },
        { input: "Staging", expected: [label("Staging")] },
        { input: "-prod", expected: [label("-prod")] },
        { input: "prod-", expected: [label("prod-")] },
        { input: "ml.team", expected: [label("ml.team")] },
        { input: "my_ns", expected: [label("my_ns")] },
    ];
    for (const c of namespaces) {
        it(`namespaceProblems(${JSON.stringify(c.input)})`, () => {
            assert.deepStrictEqual(
                namespaceProblems("namespace", c.input).map((p) => p.reason),
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
