import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { notes, promote, release, renderNotes, rollback, verify } from "../../src/flows";
import { fakePublish } from "../fixtures/cli/fakePublish";
import { RegistryClient } from "../../src/registry";
import { parsePrivateKey, readPublicKeys, signRelease, verifySignature } from "../../src/signing";
import { commitAll, makeRepo } from "../fixtures/cli/repo";
import { AUTH_CREDS, LOCAL, LOCAL_AUTH, pushTestImage, uniqueRepo } from "../fixtures/registry/testImage";

const SIGNING = path.join(__dirname, "..", "fixtures", "signing");
const client = new RegistryClient({
    credentials: { [LOCAL_AUTH]: AUTH_CREDS },
    retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
});
const key = parsePrivateKey(
    fs.readFileSync(path.join(SIGNING, "cosign.key"), "utf8"),
    "image-release-test-only",
    "cosign.key",
);

const stackPath = (dir: string, stack: string) => path.join(dir, "stacks", `Pulumi.${stack}.yaml`);
const read = (dir: string, stack: string) => fs.readFileSync(stackPath(dir, stack), "utf8");

/** The fixture repo with prod back on its default (signatures required), trusting `keys/<pub>`. */
function signedProdRepo(stagingRepo: string, prodRepo: string, digest0: string, pubs: string[]): string {
    const dir = makeRepo(stagingRepo, digest0);
    fs.mkdirSync(path.join(dir, "keys"));
    for (const p of ["cosign.pub", "other.pub"])
        fs.copyFileSync(path.join(SIGNING, p), path.join(dir, "keys", p));
    const keys = pubs.map((p) => `\n        - keys/${p}`).join("");
    fs.writeFileSync(
        stackPath(dir, "prod"),
        read(dir, "prod")
            .replace(`repository: ${stagingRepo}`, `repository: ${prodRepo}`)
            .replace(
                / *# Signatures are on by default[^\n]*\n *image-release:requireSignature: "false"\n/,
                `    image-release:signingKey:${keys}\n`,
            ),
    );
    commitAll(dir, "prod trusts the release key", 2);
    return dir;
}

async function stagingRuns(dir: string, digest: string, n: number): Promise<void> {
    fs.writeFileSync(
        stackPath(dir, "staging"),
        read(dir, "staging").replace(/digest: sha256:[0-9a-f]{64}/, `digest: ${digest}`),
    );
    commitAll(dir, `staging runs ${digest.slice(7, 19)}`, n);
}

describe("promotion into a stack that requires signatures @integration", () => {
    const provenance = {
        source: "",
        gitSha: "aaaaaaa",
        version: "1.4.2",
        platforms: ["linux/amd64", "linux/arm64"],
        buildArgs: {},
        sourceDateEpoch: 0,
        builderVersion: "1.4.2",
    };

    it("refuses an unsigned digest and one signed by an untrusted key, naming digest and key; writes nothing", async () => {
        const stagingRepo = uniqueRepo(LOCAL, "signed-staging");
        const prodRepo = uniqueRepo(LOCAL_AUTH, "signed-prod");
        const img = await pushTestImage(client, stagingRepo, "signed-refuse");
        const dir = signedProdRepo(stagingRepo, prodRepo, `sha256:${"5".repeat(64)}`, ["other.pub"]);
        await stagingRuns(dir, img.indexDigest, 3);
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        const before = read(dir, "prod");
        const other = readPublicKeys(["keys/other.pub"], dir)[0];
        const sig = `${img.indexDigest.replace(":", "-")}.sig`;
        await assert.rejects(promote({ ...o, from: "staging", to: "prod" }, { client }), {
            message: `stack "prod" requires a signed digest: ${stagingRepo}@${img.indexDigest} is not signed (no signature in ${stagingRepo}:${sig}); trusted key(s): ${other.id} (keys/other.pub)`,
        });
        await signRelease(client, stagingRepo, img.indexDigest, key, provenance);
        await assert.rejects(promote({ ...o, from: "staging", to: "prod" }, { client }), {
            message: `stack "prod" requires a signed digest: ${stagingRepo}@${img.indexDigest}: none of its 1 signature(s) verifies with the trusted key(s) ${other.id} (keys/other.pub) (signed by another key, or the signed payload was changed)`,
        });
        assert.strictEqual(read(dir, "prod"), before);
        assert.strictEqual(await client.headManifest(prodRepo, img.indexDigest), undefined);
    });

    it("a signed digest is promoted across registries with its signature and attestations; rollback checks too", async () => {
        const stagingRepo = uniqueRepo(LOCAL, "signed-staging");
        const prodRepo = uniqueRepo(LOCAL_AUTH, "signed-prod");
        const a = await pushTestImage(client, stagingRepo, "signed-a");
        const dir = signedProdRepo(stagingRepo, prodRepo, `sha256:${"6".repeat(64)}`, [
            "other.pub",
            "cosign.pub",
        ]);
        await signRelease(client, stagingRepo, a.indexDigest, key, provenance);
        await stagingRuns(dir, a.indexDigest, 3);
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        const trusted = readPublicKeys(["keys/cosign.pub"], dir)[0];

        const r = await promote({ ...o, from: "staging", to: "prod", git: true }, { client });
        const tag = (k: string) => `${a.indexDigest.replace(":", "-")}.${k}`;
        assert.deepStrictEqual(r.copied?.artifacts, [
            { tag: tag("sig"), result: "copied" },
            { tag: tag("att"), result: "copied" },
        ]);
        for (const k of ["sig", "att"]) {
            assert.strictEqual(
                (await client.headManifest(prodRepo, tag(k)))?.digest,
                (await client.headManifest(stagingRepo, tag(k)))?.digest,
            );
        }
        // Key rotation: two trusted keys, the second one signed it; the PR says which.
        assert.ok(
            r.pr?.body.includes(
                `- signed by trusted key ${trusted.id} (keys/cosign.pub); \`cosign verify --key keys/cosign.pub\` accepts it\n`,
            ),
            r.pr?.body,
        );

        // verify and notes show who signed prod's pin and what is attested about it.
        commitAll(dir, "merge the promotion", 4);
        const v = await verify(o, { client });
        const att = [
            `https://spdx.dev/Document (signed by ${trusted.id})`,
            `https://slsa.dev/provenance/v1 (signed by ${trusted.id})`,
        ];
        assert.deepStrictEqual(
            v.signatures.filter((x) => x.stack === "prod"),
            [{ stack: "prod", digest: a.indexDigest, signedBy: trusted.id, attestations: att }],
        );
        const n = await notes({ ...o, version: "1.4.0", repository: prodRepo, write: false }, { client });
        assert.deepStrictEqual(
            [n.signature, n.attestations],
            [{ ref: `${prodRepo}:${tag("sig")}`, signatures: 1, verifiedBy: [trusted.id] }, att],
        );
        assert.ok(
            renderNotes(n).includes(
                `- Signature: \`${prodRepo}:${tag("sig")}\` (1; verified by ${trusted.id})\n- Attestations: ${att.map((a) => `\`${a}\``).join(", ")}\n`,
            ),
            renderNotes(n),
        );

        // An unsigned digest in prod's own history is refused on the way back, too.
        const b = await pushTestImage(client, prodRepo, "signed-unsigned");
        fs.writeFileSync(stackPath(dir, "prod"), read(dir, "prod").replace(a.indexDigest, b.indexDigest));
        commitAll(dir, "prod on an unsigned digest", 5);
        fs.writeFileSync(
            stackPath(dir, "prod"),
            read(dir, "prod").replace(b.indexDigest, `sha256:${"7".repeat(64)}`),
        );
        commitAll(dir, "prod on a placeholder", 6);
        const pinned = read(dir, "prod");
        const keyIds = readPublicKeys(["keys/other.pub", "keys/cosign.pub"], dir).map(
            (k) => `${k.id} (${k.source})`,
        );
        await assert.rejects(rollback({ ...o, stack: "prod", to: b.indexDigest }, { client }), {
            message: `stack "prod" requires a signed digest: ${prodRepo}@${b.indexDigest} is not signed (no signature in ${prodRepo}:${b.indexDigest.replace(":", "-")}.sig); trusted key(s): ${keyIds.join(", ")}`,
        });
        assert.strictEqual(read(dir, "prod"), pinned);
    });

    it("release signs when IMAGE_RELEASE_SIGNING_KEY is set; mirrors carry the signature; a wrong password stops it before the build", async () => {
        const primary = uniqueRepo(LOCAL, "signed-release");
        const mirror = uniqueRepo(LOCAL_AUTH, "signed-mirror");
        const dir = makeRepo(primary, `sha256:${"8".repeat(64)}`);
        const o = {
            repoRoot: dir,
            stacksDir: path.join(dir, "stacks"),
            context: "stacks",
            repository: primary,
            version: "2.2.0",
        };
        const env = {
            IMAGE_RELEASE_SIGNING_KEY: path.join(SIGNING, "cosign.key"),
            IMAGE_RELEASE_SIGNING_PASSWORD: "nope",
        };
        const refused = fakePublish("signed-release");
        await assert.rejects(release(o, { client, publish: refused.publish, env }), {
            message: `release refused: ${env.IMAGE_RELEASE_SIGNING_KEY}: wrong password for the cosign key`,
        });
        assert.strictEqual(refused.builds(), 0);

        const { publish } = fakePublish("signed-release");
        const r = await release(
            { ...o, mirrors: [mirror] },
            { client, publish, env: { ...env, IMAGE_RELEASE_SIGNING_PASSWORD: "image-release-test-only" } },
        );
        const trusted = readPublicKeys([path.join(SIGNING, "cosign.pub")]);
        const digest = r.record.digest;
        assert.deepStrictEqual(
            [r.signed?.signature.keyId, r.signed?.attestations.predicateTypes, r.signed?.referrers],
            [trusted[0].id, ["https://spdx.dev/Document", "https://slsa.dev/provenance/v1"], "unsupported"],
        );
        assert.deepStrictEqual(r.mirrors[0].artifacts, [
            { tag: `${digest.replace(":", "-")}.sig`, result: "copied" },
            { tag: `${digest.replace(":", "-")}.att`, result: "copied" },
        ]);
        for (const repo of [primary, mirror]) {
            assert.strictEqual((await verifySignature(client, repo, digest, trusted)).keyId, trusted[0].id);
        }
    });
});
