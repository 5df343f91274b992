import * as assert from "assert";
import { ReleaseRecord, validateReleaseRecord } from "../../src/release";

const D = `sha256:${"a".repeat(64)}`;
const AMD = `sha256:${"b".repeat(64)}`;
const GOOD: ReleaseRecord = {
    repository: "127.0.0.1:5000/image-release/hello",
    version: "1.4.2",
    digest: D,
    ref: `127.0.0.1:5000/image-release/hello@${D}`,
    tags: ["1.4.2", "1.4", "1", "git-0123abc"],
    platforms: ["linux/amd64", "linux/arm64"],
    platformDigests: { "linux/amd64": AMD },
    gitSha: "0123abc",
    sourceStack: "dev",
};
const SRC = ".image-release/outputs/dev.json";

describe("validateReleaseRecord", () => {
    it("accepts a good record", () => assert.deepStrictEqual(validateReleaseRecord({ ...GOOD }, SRC), GOOD));

    const errors: { name: string; in: unknown; message: string }[] = [
        { name: "not an object", in: [], message: `${SRC}: release record must be a JSON object (got [])` },
        { name: "null", in: null, message: `${SRC}: release record must be a JSON object (got null)` },
        {
            name: "short digest",
            in: { ...GOOD, digest: "sha256:abc" },
            message: `${SRC}: release record field "digest": expected sha256:<64 hex> (got "sha256:abc")`,
        },
        {
            name: "missing version and bad tags together",
            in: { ...GOOD, version: undefined, tags: "1.4.2" },
            message:
                `${SRC}: release record field "version": expected a non-empty string (got "undefined")\n` +
                `${SRC}: release record field "tags": expected a list of strings (got "1.4.2")`,
        },
        {
            name: "bad platform digest",
            in: { ...GOOD, platformDigests: { "linux/amd64": "x" } },
            message: `${SRC}: release record field "platformDigests": expected a map of platform to sha256:<64 hex> (got "{"linux/amd64":"x"}")`,
        },
        {
            name: "version that is not semver (a shell substitution for the printed command)",
            in: { ...GOOD, version: "1.4.2$(touch /tmp/pwned)" },
            message: `${SRC}: release record field "version": not a semver version (got "1.4.2$(touch /tmp/pwned)")`,
        },
        {
            name: "gitSha carrying U+2028 (a line break to Pulumi's YAML loader: an injected config key)",
            in: { ...GOOD, gitSha: "0123abc\u2028image-release:kubeContext: attacker-cluster" },
            message: `${SRC}: release record field "gitSha": expected 7-40 lowercase hex chars (got "0123abc\\u2028image-release:kubeContext: attacker-cluster")`,
        },
        {
            name: "gitSha too short",
            in: { ...GOOD, gitSha: "0123ab" },
            message: `${SRC}: release record field "gitSha": expected 7-40 lowercase hex chars (got "0123ab")`,
        },
        {
            name: "sourceStack that is not a stack name",
            in: { ...GOOD, sourceStack: "Prod_1" },
            message: `${SRC}: release record field "sourceStack": expected a stack name matching ^[a-z][a-z0-9-]*$ (got "Prod_1")`,
        },
        {
            name: "sourceStack carrying U+0085 and U+2029",
            in: { ...GOOD, sourceStack: "dev\u0085x\u2029" },
            message: `${SRC}: release record field "sourceStack": expected a stack name matching ^[a-z][a-z0-9-]*$ (got "dev\\u0085x\\u2029")`,
        },
        {
            name: "repository with a URL scheme",
            in: { ...GOOD, repository: "https://127.0.0.1:5000/image-release/hello" },
            message: `${SRC}: release record field "repository": a reference has no URL scheme (drop "https://") (got "https://127.0.0.1:5000/image-release/hello")`,
        },
        {
            name: "repository with a tag",
            in: {
                ...GOOD,
                repository: "127.0.0.1:5000/image-release/hello:1.4.2",
                ref: `127.0.0.1:5000/image-release/hello:1.4.2@${D}`,
            },
            message: `${SRC}: release record field "repository": must be a repository without a tag or digest (got "127.0.0.1:5000/image-release/hello:1.4.2")`,
        },
        {
            name: "repository with a path traversal",
            in: { ...GOOD, repository: "127.0.0.1:5000/../victim", ref: `127.0.0.1:5000/../victim@${D}` },
            message: `${SRC}: release record field "repository": path component ".." must be lowercase alphanumerics separated by ".", "_", "__" or "-" (got "127.0.0.1:5000/../victim")`,
        },
        {
            name: "platformDigests key that is not a platform",
            in: { ...GOOD, platformDigests: { "linux/amd64\n- x": AMD } },
            message: `${SRC}: release record field "platformDigests": expected a map of platform to sha256:<64 hex> (got "{"linux/amd64\\n- x":"${AMD}"}")`,
        },
        {
            name: "a platform that is not os/arch",
            in: { ...GOOD, platforms: ["linux/amd64", "amd64"] },
            message: `${SRC}: release record field "platforms": expected os/arch[/variant] such as linux/amd64 (got "amd64")`,
        },
        {
            name: "a tag that is not an OCI tag",
            in: { ...GOOD, tags: ["1.4.2", "1.4.2 $(id)"] },
            message: `${SRC}: release record field "tags": expected OCI tags matching [\\w][\\w.-]{0,127} (got "1.4.2 $(id)")`,
        },
        {
            name: "ref not repository@digest",
            in: { ...GOOD, ref: "127.0.0.1:5000/image-release/hello:1.4.2" },
            message: `${SRC}: release record field "ref": expected 127.0.0.1:5000/image-release/hello@${D} (got "127.0.0.1:5000/image-release/hello:1.4.2")`,
        },
    ];
    for (const c of errors) {
        it(`refuses: ${c.name}`, () =>
            assert.throws(() => validateReleaseRecord(c.in, SRC), {
                name: "ReleaseRuleError",
                message: c.message,
            }));
    }
});
