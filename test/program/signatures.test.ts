import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LOCAL, pushTestImage, uniqueRepo } from "../fixtures/registry/testImage";
import { shippedConfig } from "../helpers/stackConfig";
import { Json, ofType, promiseOf, recorded, resetRecorded, setMocks, settle } from "../helpers/mocks";
import { RegistryClient } from "../../src/registry";
import { parsePrivateKey, readPublicKeys, signDigest } from "../../src/signing";

const SIGNING = path.join(__dirname, "..", "fixtures", "signing");
const PUB = path.join(SIGNING, "cosign.pub");

/** prod's shipped stack file, pinned to `digest` in `repo`, with `overrides` on top. */
function prodConfig(
    repo: string,
    digest: string,
    overrides: Record<string, unknown> = {},
): Record<string, string> {
    return shippedConfig("prod", {
        "image-release:repository": repo,
        "image-release:digest": digest,
        // These tests are about signatures; verification has its own (test/program/verification.test.ts).
        "image-release:requireVerification": "false",
        ...overrides,
    });
}

// The pin's signature is checked by the program before its first resource, in preview as in up.
describe("program: prod requires a signed digest (its default) @integration", () => {
    const client = new RegistryClient({});
    const repo = uniqueRepo(LOCAL, "program-signed");
    let run: () => Promise<Record<string, unknown>>;
    let signed: string;
    let unsigned: string;
    const keyId = readPublicKeys([PUB])[0].id;

    before(async () => {
        await setMocks("prod", true);
        run = (await import("../../src/program")).default;
        signed = (await pushTestImage(client, repo, "program-signed")).indexDigest;
        unsigned = (await pushTestImage(client, repo, "program-unsigned")).indexDigest;
        const key = parsePrivateKey(
            fs.readFileSync(path.join(SIGNING, "cosign.key"), "utf8"),
            "image-release-test-only",
            "cosign.key",
        );
        await signDigest(client, repo, signed, key);
    });
    beforeEach(resetRecorded);

    const refusals: {
        name: string;
        digest: () => string;
        overrides: Record<string, unknown>;
        message: () => string;
    }[] = [
        {
            name: "no trusted key configured",
            digest: () => signed,
            overrides: {},
            message: () =>
                `stack "prod" requires signed digests (image-release:requireSignature, on by default for prod) but names no trusted key: set image-release:signingKey to the public key(s), e.g. cosign.pub from \`cosign generate-key-pair\`, or set image-release:requireSignature: "false"; refusing ${repo}@${signed}`,
        },
        {
            name: "an unsigned digest",
            digest: () => unsigned,
            overrides: { "image-release:signingKey": PUB },
            message: () =>
                `stack "prod" requires a signed digest: ${repo}@${unsigned} is not signed (no signature in ${repo}:${unsigned.replace(":", "-")}.sig); trusted key(s): ${keyId} (${PUB})`,
        },
        {
            name: "a digest signed by a key prod does not trust",
            digest: () => signed,
            overrides: { "image-release:signingKey": [path.join(SIGNING, "other.pub")] },
            message: () =>
                `stack "prod" requires a signed digest: ${repo}@${signed}: none of its 1 signature(s) verifies with the trusted key(s) ${readPublicKeys([path.join(SIGNING, "other.pub")])[0].id} (${path.join(SIGNING, "other.pub")}) (signed by another key, or the signed payload was changed)`,
        },
    ];
    for (const r of refusals) {
        it(`refuses ${r.name} before any resource, naming the digest and the key`, async () => {
            pulumi.runtime.setAllConfig(prodConfig(repo, r.digest(), r.overrides));
            await assert.rejects(
                run(),
                (e: unknown) => e instanceof pulumi.RunError && e.message === r.message(),
            );
            await settle();
            assert.deepStrictEqual(recorded, []);
        });
    }

    it("a digest signed by a trusted key deploys, and the Deployment names the key (image-release/signed-by)", async () => {
        // Rotation: the old key and the new one are both trusted; the signature is by the second.
        pulumi.runtime.setAllConfig(
            prodConfig(repo, signed, { "image-release:signingKey": [path.join(SIGNING, "other.pub"), PUB] }),
        );
        const outputs = await run();
        for (const v of Object.values(outputs)) await promiseOf(v as pulumi.Output<Json>);
        await settle();
        const [dep] = ofType("kubernetes:apps/v1:Deployment");
        assert.strictEqual(dep.inputs.metadata.annotations["image-release/signed-by"], keyId);
        assert.strictEqual(dep.inputs.spec.template.spec.containers[0].image, `${repo}@${signed}`);
    });
});
