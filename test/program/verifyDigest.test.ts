import * as assert from "assert";
import { createHash, randomBytes } from "crypto";
import { ofType, promiseOf, resetRecorded, setMocks, settle } from "../helpers/mocks";
import type { PinnedDeployment as PinnedDeploymentT } from "../../src/components/pinnedDeployment";
import type { RegistryClient as RegistryClientT } from "../../src/registry";

const REGISTRY = "127.0.0.1:5000";
const sha = (b: Buffer) => "sha256:" + createHash("sha256").update(b).digest("hex");

async function pushBlob(path: string, bytes: Buffer): Promise<string> {
    const digest = sha(bytes);
    const start = await fetch(`http://${REGISTRY}/v2/${path}/blobs/uploads/`, { method: "POST" });
    assert.strictEqual(start.status, 202);
    const location = new URL(start.headers.get("location") as string, `http://${REGISTRY}`);
    location.searchParams.set("digest", digest);
    const put = await fetch(location, {
        method: "PUT",
        body: bytes,
        headers: { "content-type": "application/octet-stream" },
    });
    assert.strictEqual(put.status, 201);
    return digest;
}

async function putManifest(path: string, ref: string, body: object, mediaType: string): Promise<string> {
    const bytes = Buffer.from(JSON.stringify(body));
    const res = await fetch(`http://${REGISTRY}/v2/${path}/manifests/${ref}`, {
        method: "PUT",
        body: bytes,
        headers: { "content-type": mediaType },
    });
    assert.strictEqual(res.status, 201, await res.text());
    return sha(bytes);
}

/** Pushes a tiny OCI index over the given platforms straight through the distribution API. */
async function pushIndex(path: string, platforms: string[]): Promise<string> {
    const manifests = [];
    for (const p of platforms) {
        const [os, architecture] = p.split("/");
        const config = Buffer.from(
            JSON.stringify({ architecture, os, rootfs: { type: "layers", diff_ids: [] } }),
        );
        const layer = randomBytes(32);
        const configDigest = await pushBlob(path, config);
        const layerDigest = await pushBlob(path, layer);
        const m = {
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            config: {
                mediaType: "application/vnd.oci.image.config.v1+json",
                digest: configDigest,
                size: config.length,
            },
            layers: [
                {
                    mediaType: "application/vnd.oci.image.layer.v1.tar",
                    digest: layerDigest,
                    size: layer.length,
                },
            ],
        };
        const bytes = Buffer.from(JSON.stringify(m));
        const digest = await putManifest(path, sha(bytes), m, m.mediaType);
        manifests.push({
            mediaType: m.mediaType,
            digest,
            size: bytes.length,
            platform: { os, architecture },
        });
    }
    const index = { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests };
    return putManifest(path, sha(Buffer.from(JSON.stringify(index))), index, index.mediaType);
}

describe("PinnedDeployment verification during preview @integration", () => {
    const path = `test/components-${randomBytes(4).toString("hex")}`;
    const repo = `${REGISTRY}/${path}`;
    let PinnedDeployment: typeof PinnedDeploymentT;
    let RegistryClient: typeof RegistryClientT;
    let both: string;
    let amd64Only: string;

    before(async () => {
        // preview = true: the check must run, and stop the Deployment, before anything is applied.
        await setMocks("staging", true);
        ({ PinnedDeployment } = await import("../../src/components/pinnedDeployment"));
        ({ RegistryClient } = await import("../../src/registry"));
        both = await pushIndex(path, ["linux/amd64", "linux/arm64"]);
        amd64Only = await pushIndex(path, ["linux/amd64"]);
    });
    beforeEach(resetRecorded);

    const args = (digest: string) => ({
        repository: repo,
        digest,
        version: "1.4.2",
        gitSha: "0123abc",
        promotedFrom: "dev",
        registryClient: new RegistryClient({}),
    });

    it("a present digest covering every platform passes and the Deployment is registered", async () => {
        const c = new PinnedDeployment("ok", args(both));
        assert.strictEqual(await promiseOf(c.image), `${repo}@${both}`);
        await settle();
        assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 1);
        assert.strictEqual(
            ofType("kubernetes:apps/v1:Deployment")[0].inputs.spec.template.spec.containers[0].image,
            `${repo}@${both}`,
        );
    });

    it("a missing digest fails with the registry's not-found message and registers no Deployment", async () => {
        const missing = "sha256:" + "e".repeat(64);
        const c = new PinnedDeployment("missing", args(missing));
        await assert.rejects(promiseOf(c.image), {
            message: `error serializing property "outputs": PinnedDeployment "missing": digest verification failed: digest ${missing} not found in repo ${repo}`,
        });
        await settle();
        assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
    });

    it("a digest lacking a required platform fails with the missing-platform message and registers no Deployment", async () => {
        const c = new PinnedDeployment("partial", args(amd64Only));
        await assert.rejects(promiseOf(c.image), {
            message: `error serializing property "outputs": PinnedDeployment "partial": digest verification failed: ${repo}@${amd64Only} lacks required platform(s) linux/arm64 (has linux/amd64)`,
        });
        await settle();
        assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
    });
});
