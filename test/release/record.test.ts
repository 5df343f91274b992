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
