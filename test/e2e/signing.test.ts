import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { RegistryClient } from "../../src/registry";
import {
    parsePrivateKey,
    readAttestations,
    readPublicKeys,
    signRelease,
    verifySignature,
} from "../../src/signing";
import { pushTestImage, uniqueRepo, LOCAL } from "../fixtures/registry/testImage";
import { ROOT, run, SIGNING, timings } from "./harness";

/**
 * Issue 10's interop proof with the real cosign (v2.6.5, built by scripts/toolchain.sh): cosign accepts
 * what we sign, we accept what cosign signs, and cosign refuses ours under another key.
 */
describe("e2e: signatures interoperate with cosign", function () {
    this.timeout(120_000);
    const client = new RegistryClient();
    const trusted = readPublicKeys([SIGNING.pub], ROOT);
    const cosign = (args: string[]) => run("cosign", args, ROOT, { COSIGN_PASSWORD: SIGNING.password });
    const verifyFlags = (pub: string) => [
        "--key",
        pub,
        "--insecure-ignore-tlog",
        "--trusted-root",
        SIGNING.trustedRoot,
    ];

    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: `signing: ${t.title}`, seconds: (t.duration ?? 0) / 1000 });
    });

    it("cosign verify and verify-attestation accept our signature, SBOM and provenance; another key is refused", async () => {
        const repo = uniqueRepo(LOCAL, "e2e-ours");
        const img = await pushTestImage(client, repo, "e2e-ours");
        const ref = `${repo}@${img.indexDigest}`;
        // A test image's layers are not tars, so its SBOM lists no files; the format is what cosign checks.
        const key = parsePrivateKey(fs.readFileSync(SIGNING.key, "utf8"), SIGNING.password, SIGNING.key);
        await signRelease(client, repo, img.indexDigest, key, {
            source: "https://git.example.com/team/hello",
            gitSha: "0123abc",
            version: "1.4.2",
            platforms: ["linux/amd64", "linux/arm64"],
            buildArgs: {},
            sourceDateEpoch: 1700000000,
            builderVersion: "1.4.2",
        }).catch((e: Error) => assert.fail(e.message));
        for (const args of [
            ["verify"],
            ["verify-attestation", "--type", "slsaprovenance1"],
            ["verify-attestation", "--type", "spdxjson"],
        ]) {
            const v = await cosign([...args, ...verifyFlags(SIGNING.pub), ref]);
            assert.strictEqual(v.code, 0, `cosign ${args.join(" ")}: ${v.stderr}`);
        }
        const wrong = await cosign(["verify", ...verifyFlags(SIGNING.otherPub), ref]);
        // cosign's exit code for "no matching signatures" (cmd/cosign/errors: NoMatchingSignature).
        assert.strictEqual(wrong.code, 12);
        assert.ok(wrong.stderr.includes("no matching signatures"), wrong.stderr);
    });

    it("our verifier accepts cosign's signature and attestation, and refuses them under another key", async () => {
        const repo = uniqueRepo(LOCAL, "e2e-cosign");
        const img = await pushTestImage(client, repo, "e2e-cosign");
        const ref = `${repo}@${img.indexDigest}`;
        const signed = await cosign([
            "sign",
            "--key",
            path.join(ROOT, "test/fixtures/signing/cosign.key"),
            "--tlog-upload=false",
            "--yes",
            ref,
        ]);
        assert.strictEqual(signed.code, 0, signed.stderr);
        const predicate = path.join(fs.mkdtempSync("/tmp/image-release-e2e-pred-"), "p.json");
        fs.writeFileSync(
            predicate,
            JSON.stringify({
                buildDefinition: { buildType: "https://example.test/b", externalParameters: {} },
                runDetails: { builder: { id: "https://example.test/builder" } },
            }),
        );
        const attested = await cosign([
            "attest",
            "--key",
            path.join(ROOT, "test/fixtures/signing/cosign.key"),
            "--tlog-upload=false",
            "--predicate",
            predicate,
            "--type",
            "slsaprovenance1",
            "--yes",
            ref,
        ]);
        assert.strictEqual(attested.code, 0, attested.stderr);

        const v = await verifySignature(client, repo, img.indexDigest, trusted);
        assert.deepStrictEqual([v.keyId, v.signatures], [trusted[0].id, 1]);
        assert.deepStrictEqual(await readAttestations(client, repo, img.indexDigest, trusted), [
            { predicateType: "https://slsa.dev/provenance/v1", keyId: trusted[0].id },
        ]);
        const other = readPublicKeys([SIGNING.otherPub], ROOT);
        await assert.rejects(verifySignature(client, repo, img.indexDigest, other), {
            message: `${ref}: none of its 1 signature(s) verifies with the trusted key(s) ${other[0].id} (${SIGNING.otherPub}) (signed by another key, or the signed payload was changed)`,
        });
    });
});
