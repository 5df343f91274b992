import * as assert from "assert";
import {
    changeCause,
    deploymentAnnotations,
    podAnnotations,
    shortDigest,
} from "../../src/components/annotations";

const D = "sha256:abcdef1234567890abcdef1234567890abcdef1234567890abcdef1234567890";

describe("components/annotations", () => {
    const causes: { name: string; promotedFrom?: string; expected: string }[] = [
        {
            name: "promoted",
            promotedFrom: "staging",
            expected: "image-release 1.4.2 sha256:abcdef123456 (promoted from staging)",
        },
        { name: "built here", expected: "image-release 1.4.2 sha256:abcdef123456" },
    ];
    for (const c of causes) {
        it(`changeCause: ${c.name}`, () => {
            assert.strictEqual(
                changeCause({ version: "1.4.2", digest: D, gitSha: "0123abc", promotedFrom: c.promotedFrom }),
                c.expected,
            );
        });
    }

    const shorts: [string, string][] = [
        [D, "sha256:abcdef123456"],
        ["sha256:abc", "sha256:abc"],
        ["nodigest", "nodigest"],
    ];
    for (const [input, expected] of shorts) {
        it(`shortDigest(${input.slice(0, 20)})`, () => assert.strictEqual(shortDigest(input), expected));
    }

    it("puts change-cause on the Deployment only, release keys on both", () => {
        const m = { version: "1.4.2", digest: D, gitSha: "0123abc", promotedFrom: "dev" };
        assert.deepStrictEqual(deploymentAnnotations(m), {
            "kubernetes.io/change-cause": "image-release 1.4.2 sha256:abcdef123456 (promoted from dev)",
            "image-release/version": "1.4.2",
            "image-release/digest": D,
            "image-release/git-sha": "0123abc",
        });
        assert.deepStrictEqual(podAnnotations(m), {
            "image-release/version": "1.4.2",
            "image-release/digest": D,
            "image-release/git-sha": "0123abc",
        });
    });
});
