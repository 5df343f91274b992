import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import * as tar from "tar-stream";
import {
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER,
    OCI_MANIFEST,
    RegistryClient,
    sha256Digest,
} from "../../src/registry";
import {
    appendArtifactLayerForTest,
    artifactTag,
    parsePrivateKey,
    readAttestations,
    pae,
    readPublicKeys,
    signBytes,
    signDigest,
    statementFor,
    signRelease,
    verifySignature,
} from "./signingApi";
import { startProxy } from "../fixtures/registry/proxy";
import { LOCAL, pushTestImage, uniqueRepo } from "../fixtures/registry/testImage";

const DIR = path.join(__dirname, "..", "fixtures", "signing");
const WIRE = path.join(DIR, "wire");
const wire = (f: string) => fs.readFileSync(path.join(WIRE, f));
const client = new RegistryClient({ retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 } });
const key = parsePrivateKey(
    fs.readFileSync(path.join(DIR, "cosign.key"), "utf8"),
    "image-release-test-only",
    "cosign.key",
);
const trusted = readPublicKeys(["cosign.pub"], DIR);
const other = readPublicKeys(["other.pub"], DIR);
const keyList = (ks: typeof trusted) => ks.map((k) => `${k.id} (${k.source})`).join(", ");

/** A gzip tar layer holding `files`, so the SBOM has real files to list. */
async function tarLayer(files: Record<string, string>): Promise<Buffer> {
    const pack = tar.pack();
    for (const [name, body] of Object.entries(files)) pack.entry({ name, mtime: new Date(0) }, body);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    return zlib.gzipSync(Buffer.concat(chunks));
}

/** A two-arch index whose layers are real tars: what a release of examples/hello looks like. */
async function pushTarImage(
    repo: string,
): Promise<{ digest: string; files: Record<string, Record<string, string>> }> {
    const files: Record<string, Record<string, string>> = {
        "linux/amd64": { hello: "amd64 binary\n", "etc/motd": "hi\n" },
        "linux/arm64": { hello: "arm64 binary\n", "etc/motd": "hi\n" },
    };
    const manifests = [];
    for (const [platform, content] of Object.entries(files)) {
        const [os, architecture] = platform.split("/");
        const layer = await tarLayer(content);
        const config = Buffer.from(
            JSON.stringify({ os, architecture, rootfs: { type: "layers", diff_ids: [] } }),
        );
        await client.pushBlob(repo, layer);
        await client.pushBlob(repo, config);
        const m = Buffer.from(
            JSON.stringify({
                schemaVersion: 2,
                mediaType: OCI_MANIFEST,
                config: { mediaType: OCI_CONFIG, digest: sha256Digest(config), size: config.length },
                layers: [{ mediaType: OCI_LAYER, digest: sha256Digest(layer), size: layer.length }],
            }),
        );
        const d = await client.putManifest(repo, sha256Digest(m), m, OCI_MANIFEST);
        manifests.push({
            mediaType: OCI_MANIFEST,
            digest: d,
            size: m.length,
            platform: { os, architecture },
        });
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
    return { digest: await client.putManifest(repo, sha256Digest(index), index, OCI_INDEX), files };
}

const PROVENANCE = {
    source: "https://git.example.com/team/hello",
    gitSha: "0123abc0123abc0123abc0123abc0123abc0123a",
    version: "2.1.0",
    platforms: ["linux/amd64", "linux/arm64"],
    buildArgs: { MODE: "release" },
    sourceDateEpoch: 1700000000,
    dockerfile: "Dockerfile",
    builderVersion: "1.4.2",
};

const sha = (algorithm: string, s: string) => createHash(algorithm).update(s).digest("hex");

describe("signing @integration", () => {
    it("our .sig manifest is byte-identical to cosign's for the same two signed payloads", async () => {
        const repo = uniqueRepo(LOCAL, "sign-wire");
        const subject = "sha256:8a3748539734299de491f62ed50fd85416dae456707b0d2a243bb9d752ae1167";
        const cosign = JSON.parse(wire("sig.manifest.json.raw").toString()) as {
            layers: { annotations: Record<string, string> }[];
        };
        for (const [i, f] of ["sig.layer0.payload.json.raw", "sig.layer1.payload.json.raw"].entries()) {
            await appendArtifactLayerForTest(client, repo, artifactTag(subject, "sig"), wire(f), {
                mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
                annotations: cosign.layers[i].annotations,
            });
        }
        const ours = await client.getManifest(repo, artifactTag(subject, "sig"));
        assert.ok(ours.bytes.equals(wire("sig.manifest.json.raw")));
        assert.strictEqual(ours.digest, sha256Digest(wire("sig.manifest.json.raw")));
        // And our verifier accepts both of cosign's signatures, each with its own key.
        assert.deepStrictEqual(
            [
                (await verifySignature(client, repo, subject, trusted)).keyId,
                (await verifySignature(client, repo, subject, other)).keyId,
            ],
            [trusted[0].id, other[0].id],
        );
    });

    it("sign, then verify with the trusted key; a rerun adds no second signature", async () => {
        const repo = uniqueRepo(LOCAL, "sign");
        const img = await pushTestImage(client, repo, "sign-a");
        const s = await signDigest(client, repo, img.indexDigest, key);
        assert.strictEqual(
            (await signDigest(client, repo, img.indexDigest, key)).manifestDigest,
            s.manifestDigest,
        );
        assert.deepStrictEqual(s.ref, `${repo}:${artifactTag(img.indexDigest, "sig")}`);
        const v = await verifySignature(client, repo, img.indexDigest, trusted);
        assert.deepStrictEqual(v, {
            digest: img.indexDigest,
            keyId: trusted[0].id,
            keySource: "cosign.pub",
            ref: s.ref,
            signatures: 1,
        });
        const payload = JSON.parse(
            (
                await client.getBlob(
                    repo,
                    (await client.getManifest(repo, artifactTag(img.indexDigest, "sig"))).json.layers![0]
                        .digest,
                )
            ).toString(),
        ) as unknown;
        assert.deepStrictEqual(payload, {
            critical: {
                identity: { "docker-reference": repo },
                image: { "docker-manifest-digest": img.indexDigest },
                type: "cosign container image signature",
            },
            optional: null,
        });
    });

    it("refuses: a missing .sig, another key, a tampered payload, a signature for another digest", async () => {
        const repo = uniqueRepo(LOCAL, "sign-refuse");
        const a = await pushTestImage(client, repo, "refuse-a");
        const b = await pushTestImage(client, repo, "refuse-b");
        const c = await pushTestImage(client, repo, "refuse-c");
        const sigA = artifactTag(a.indexDigest, "sig");

        await assert.rejects(verifySignature(client, repo, a.indexDigest, trusted), {
            message: `${repo}@${a.indexDigest} is not signed (no signature in ${repo}:${sigA}); trusted key(s): ${keyList(trusted)}`,
        });

        await signDigest(client, repo, a.indexDigest, key);
        await assert.rejects(verifySignature(client, repo, a.indexDigest, other), {
            message: `${repo}@${a.indexDigest}: none of its 1 signature(s) verifies with the trusted key(s) ${keyList(other)} (signed by another key, or the signed payload was changed)`,
        });

        // Tampered: the payload now names c, keeping a's signature; the manifest points at the new bytes.
        await signDigest(client, repo, b.indexDigest, key);
        const sigB = await client.getManifest(repo, artifactTag(b.indexDigest, "sig"));
        const tampered = Buffer.from(
            (await client.getBlob(repo, sigB.json.layers![0].digest))
                .toString()
                .replace(b.indexDigest, c.indexDigest),
        );
        await client.pushBlob(repo, tampered);
        const forged = JSON.parse(sigB.bytes.toString()) as { layers: { digest: string; size: number }[] };
        forged.layers[0].digest = sha256Digest(tampered);
        forged.layers[0].size = tampered.length;
        const forgedBytes = Buffer.from(JSON.stringify(forged));
        await client.putManifest(repo, artifactTag(c.indexDigest, "sig"), forgedBytes, OCI_MANIFEST);
        await assert.rejects(verifySignature(client, repo, c.indexDigest, trusted), {
            message: `${repo}@${c.indexDigest}: none of its 1 signature(s) verifies with the trusted key(s) ${keyList(trusted)} (signed by another key, or the signed payload was changed)`,
        });

        // Another digest's signature under this digest's tag: it verifies, but it is not about this image.
        await client.putManifest(repo, artifactTag(c.indexDigest, "sig"), sigB.bytes, OCI_MANIFEST);
        await assert.rejects(verifySignature(client, repo, c.indexDigest, trusted), {
            message: `${repo}@${c.indexDigest}: its signature is for another digest: ${b.indexDigest} (key ${trusted[0].id}); refusing it`,
        });
    });

    it("signRelease: signature, SPDX SBOM of each platform's files, SLSA v1 provenance, all verifiable", async () => {
        const repo = uniqueRepo(LOCAL, "sign-release");
        const img = await pushTarImage(repo);
        const r = await signRelease(client, repo, img.digest, key, PROVENANCE);
        assert.deepStrictEqual(r.attestations.predicateTypes, [
            "https://spdx.dev/Document",
            "https://slsa.dev/provenance/v1",
        ]);
        assert.strictEqual(r.referrers, "unsupported");
        assert.deepStrictEqual(await readAttestations(client, repo, img.digest, trusted), [
            { predicateType: "https://spdx.dev/Document", keyId: trusted[0].id },
            { predicateType: "https://slsa.dev/provenance/v1", keyId: trusted[0].id },
        ]);
        assert.deepStrictEqual(await readAttestations(client, repo, img.digest, other), [
            { predicateType: "https://spdx.dev/Document" },
            { predicateType: "https://slsa.dev/provenance/v1" },
        ]);
        const att = await client.getManifest(repo, artifactTag(img.digest, "att"));
        const statements = await Promise.all(
            (att.json.layers ?? []).map(async (l) => {
                const env = JSON.parse((await client.getBlob(repo, l.digest)).toString()) as {
                    payload: string;
                };
                return JSON.parse(Buffer.from(env.payload, "base64").toString()) as {
                    subject: unknown;
                    predicate: Record<string, unknown>;
                };
            }),
        );
        const subject = [{ name: repo, digest: { sha256: img.digest.slice(7) } }];
        assert.deepStrictEqual(
            statements.map((s) => s.subject),
            [subject, subject],
        );
        const sbom = statements[0].predicate as {
            files: { fileName: string; checksums: { algorithm: string; checksumValue: string }[] }[];
            creationInfo: unknown;
            spdxVersion: string;
        };
        assert.strictEqual(sbom.spdxVersion, "SPDX-2.3");
        assert.deepStrictEqual(sbom.creationInfo, {
            created: "2023-11-14T22:13:20Z",
            creators: ["Tool: image-release-1.4.2"],
        });
        assert.deepStrictEqual(
            sbom.files.map((f) => [f.fileName, f.checksums[0].checksumValue]),
            [
                ["./etc/motd", sha("sha256", "hi\n")],
                ["./hello", sha("sha256", "amd64 binary\n")],
                ["./etc/motd", sha("sha256", "hi\n")],
                ["./hello", sha("sha256", "arm64 binary\n")],
            ],
        );
        const dep = {
            uri: "git+https://git.example.com/team/hello@0123abc0123abc0123abc0123abc0123abc0123a",
            digest: { gitCommit: "0123abc0123abc0123abc0123abc0123abc0123a" },
        };
        assert.deepStrictEqual(statements[1].predicate, {
            buildDefinition: {
                buildType: "https://github.com/pulumi-image-release/build/v1",
                externalParameters: {
                    source: dep,
                    dockerfile: "Dockerfile",
                    platforms: ["linux/amd64", "linux/arm64"],
                    buildArgs: { MODE: "release" },
                },
                internalParameters: {
                    VERSION: "2.1.0",
                    GIT_SHA: "0123abc0123abc0123abc0123abc0123abc0123a",
                    SOURCE_DATE_EPOCH: "1700000000",
                },
                resolvedDependencies: [dep],
            },
            runDetails: { builder: { id: "pkg:npm/pulumi-image-release@1.4.2" } },
        });
        // Idempotent: signing the same release again adds no layer (the payloads are the same bytes).
        const before = (await client.getManifest(repo, artifactTag(img.digest, "att"))).digest;
        await signRelease(client, repo, img.digest, key, PROVENANCE);
        assert.strictEqual((await client.getManifest(repo, artifactTag(img.digest, "att"))).digest, before);
    });

    it("an attestation's type is the one its signed payload states, never its unsigned annotation", async () => {
        const repo = uniqueRepo(LOCAL, "sign-att-type");
        const img = await pushTestImage(client, repo, "att-type");
        const tag = artifactTag(img.indexDigest, "att");
        /** A DSSE layer whose envelope carries `payload`, signed by the trusted key, annotated as told. */
        const layer = async (payload: Buffer, annotations: Record<string, string>) => {
            const envelope = Buffer.from(
                JSON.stringify({
                    payloadType: "application/vnd.in-toto+json",
                    payload: payload.toString("base64"),
                    signatures: [
                        { keyid: "", sig: signBytes(key, pae("application/vnd.in-toto+json", payload)) },
                    ],
                }),
            );
            await appendArtifactLayerForTest(client, repo, tag, envelope, {
                mediaType: "application/vnd.dsse.envelope.v1+json",
                annotations,
            });
        };
        const statement = (predicateType: unknown) =>
            Buffer.from(JSON.stringify({ ...statementFor(repo, img.indexDigest, "x", {}), predicateType }));
        // The annotation says provenance; the signed statement is an SBOM.
        await layer(statement("https://spdx.dev/Document"), {
            "dev.cosignproject.cosign/signature": "",
            predicateType: "https://slsa.dev/provenance/v1",
        });
        // No annotation at all: the payload still says what it is.
        await layer(statement("https://slsa.dev/provenance/v1"), {});
        // A payload that states no usable type: control characters, not a string, not JSON.
        await layer(statement("https://x.test/\u001b[2Jfake"), {
            predicateType: "https://spdx.dev/Document",
        });
        await layer(statement(42), { predicateType: "https://spdx.dev/Document" });
        await layer(Buffer.from("not json"), { predicateType: "https://spdx.dev/Document" });
        assert.deepStrictEqual(await readAttestations(client, repo, img.indexDigest, trusted), [
            { predicateType: "https://spdx.dev/Document", keyId: trusted[0].id },
            { predicateType: "https://slsa.dev/provenance/v1", keyId: trusted[0].id },
            { predicateType: "unknown", keyId: trusted[0].id },
            { predicateType: "unknown", keyId: trusted[0].id },
            { predicateType: "unknown" },
        ]);
    });

    it("a registry that serves OCI 1.1 referrers also gets each attestation as a referrer of the index", async () => {
        const proxy = await startProxy((req, res, forward) => {
            if (req.method === "GET" && req.url?.includes("/referrers/")) {
                res.writeHead(200, { "Content-Type": "application/vnd.oci.image.index.v1+json" });
                res.end(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }));
                return;
            }
            forward();
        });
        try {
            const repo = `${proxy.registry}/${uniqueRepo(LOCAL, "sign-referrers").slice(LOCAL.length + 1)}`;
            const img = await pushTarImage(repo);
            const r = await signRelease(client, repo, img.digest, key, {
                source: "",
                gitSha: "0123abc",
                version: "1.4.2",
                platforms: ["linux/amd64"],
                buildArgs: {},
                sourceDateEpoch: 0,
                builderVersion: "1.4.2",
            });
            assert.strictEqual(r.referrers, "supported");
            const puts = proxy.requests.filter(
                (q) => q.method === "PUT" && /\/manifests\/sha256:/.test(q.url),
            );
            const referrers = [];
            for (const p of puts) {
                const m = await client.getManifest(repo, p.url.split("/manifests/")[1]);
                if (m.json.subject)
                    referrers.push([m.json.artifactType, (m.json.subject as { digest: string }).digest]);
            }
            assert.deepStrictEqual(referrers, [
                ["application/vnd.dsse.envelope.v1+json", img.digest],
                ["application/vnd.dsse.envelope.v1+json", img.digest],
            ]);
        } finally {
            await proxy.close();
        }
    });
});
