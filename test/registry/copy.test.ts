import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    copyImage,
    CopyResult,
    ImmutableTagError,
    RegistryAuthError,
    RegistryClient,
    RegistryUnavailableError,
} from "../../src/registry";
import { startProxy } from "../fixtures/registry/proxy";
import {
    AUTH_CREDS,
    LayeredImage,
    LOCAL,
    LOCAL_AUTH,
    pushLayeredImage,
    uniqueRepo,
} from "../fixtures/registry/testImage";

const LAYER = 2 * 1024 * 1024;
const STATE_DIR = process.env.IMAGE_RELEASE_STATE_DIR ?? "/var/tmp/image-release-local";
const client = new RegistryClient({
    credentials: { [LOCAL_AUTH]: AUTH_CREDS },
    retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 100 },
});

/** What a copy of `img` into an empty repository must report, by how its blobs arrive. */
function fresh(img: LayeredImage, from: string, to: string, how: "copied" | "mounted"): CopyResult {
    return {
        digest: img.indexDigest,
        from,
        to,
        alreadyPresent: false,
        // 5 distinct blobs: 2 configs, the shared layer (sent once), 2 own layers.
        blobs: { mounted: how === "mounted" ? 5 : 0, copied: how === "copied" ? 5 : 0, present: 0 },
        manifests: { copied: 3, present: 0 },
        bytesCopied: how === "copied" ? img.blobBytes : 0,
        tags: [],
        artifacts: [],
    };
}

/** The target serves the source's exact bytes for the index and both platform manifests. */
async function assertSameBytes(img: LayeredImage, from: string, to: string): Promise<void> {
    for (const d of [img.indexDigest, ...Object.values(img.platformDigests)]) {
        const [a, b] = await Promise.all([client.getManifest(from, d), client.getManifest(to, d)]);
        assert.ok(a.bytes.equals(b.bytes), `${d} differs between ${from} and ${to}`);
    }
    for (const b of img.blobs) assert.strictEqual(await client.hasBlob(to, b.digest), true, b.digest);
}

describe("registry copyImage @integration", () => {
    let source: string;
    let img: LayeredImage;
    let sourceTags: string[];

    before(async () => {
        source = uniqueRepo(LOCAL, "copy-src");
        img = await pushLayeredImage(client, source, "copy", LAYER);
        await client.applyTags(source, img.indexDigest, ["3.1.0", "stable"]);
        sourceTags = (await client.listTags(source)).sort();
        assert.strictEqual(img.blobs.length, 5);
    });

    afterEach(async () => {
        // Nothing is ever deleted from, or written to, the source.
        assert.deepStrictEqual((await client.listTags(source)).sort(), sourceTags);
        assert.strictEqual((await client.headManifest(source, "3.1.0"))?.digest, img.indexDigest);
    });

    const ways: { name: string; registry: string; mount?: boolean; how: "copied" | "mounted" }[] = [
        {
            name: "across registries (5000 -> 5001 with its credentials): streamed",
            registry: LOCAL_AUTH,
            how: "copied",
        },
        { name: "same registry, another repository: mounted", registry: LOCAL, how: "mounted" },
        { name: "same registry with mount: false: streamed", registry: LOCAL, mount: false, how: "copied" },
    ];
    for (const w of ways) {
        it(`${w.name}; byte-exact; a rerun sends nothing`, async () => {
            const to = uniqueRepo(w.registry, "copy-dst");
            const r = await copyImage(client, {
                from: source,
                to,
                digest: img.indexDigest,
                ...(w.mount !== undefined ? { mount: w.mount } : {}),
            });
            assert.deepStrictEqual(r, fresh(img, source, to, w.how));
            await assertSameBytes(img, source, to);
            assert.deepStrictEqual(await client.listTags(to), []);

            const again = await copyImage(client, {
                from: source,
                to,
                digest: img.indexDigest,
                tags: ["3.1.0"],
            });
            assert.deepStrictEqual(again, {
                ...fresh(img, source, to, w.how),
                alreadyPresent: true,
                blobs: { mounted: 0, copied: 0, present: 0 },
                manifests: { copied: 0, present: 0 },
                bytesCopied: 0,
                tags: [{ tag: "3.1.0", digest: img.indexDigest }],
            });
        });
    }

    it("a target that has every blob but no manifests gets only the manifests", async () => {
        const to = uniqueRepo(LOCAL_AUTH, "copy-blobs");
        for (const b of img.blobs) await client.copyBlob(source, to, b);
        const r = await copyImage(client, { from: source, to, digest: img.indexDigest });
        assert.deepStrictEqual(r, {
            ...fresh(img, source, to, "copied"),
            blobs: { mounted: 0, copied: 0, present: 5 },
            bytesCopied: 0,
        });
    });

    it("X.Y.Z immutability is checked in the target before anything is sent", async () => {
        const to = uniqueRepo(LOCAL_AUTH, "copy-immutable");
        const other = await pushLayeredImage(client, to, "copy-other", 1024);
        await client.applyTags(to, other.indexDigest, ["3.1.0"]);
        await assert.rejects(
            copyImage(client, { from: source, to, digest: img.indexDigest, tags: ["3.1.0", "git-abcdef0"] }),
            (e: Error) =>
                e instanceof ImmutableTagError &&
                e.message ===
                    `tag 3.1.0 in ${to} already points at ${other.indexDigest}; refusing to move it to ${img.indexDigest} (immutable tag; use force to override)`,
        );
        for (const b of img.blobs) assert.strictEqual(await client.hasBlob(to, b.digest), false, b.digest);
        assert.strictEqual(await client.headManifest(to, img.indexDigest), undefined);
        assert.strictEqual(await client.headManifest(to, "git-abcdef0"), undefined);
    });

    it("a 401 from the target names the registry and scope; nothing arrives", async () => {
        const to = uniqueRepo(LOCAL_AUTH, "copy-401");
        const anonymous = new RegistryClient({ retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 } });
        await assert.rejects(
            copyImage(anonymous, { from: source, to, digest: img.indexDigest }),
            (e: Error) =>
                e instanceof RegistryAuthError &&
                e.message ===
                    `authentication failed for ${LOCAL_AUTH} (scope "repository:${to.slice(LOCAL_AUTH.length + 1)}:pull"): 401 Unauthorized`,
        );
        assert.strictEqual(await client.headManifest(to, img.indexDigest), undefined);
    });

    it("a registry that will not mount answers with an upload session, and the blob is copied into it", async () => {
        // The proxy strips ?mount=&from=, so the registry opens a plain upload (202) as a refusing one does.
        const proxy = await startProxy((req, _res, forward) => {
            if (req.method === "POST" && req.url?.includes("mount=")) req.url = req.url.replace(/\?.*$/, "");
            forward();
        });
        try {
            const from = `${proxy.registry}/${source.slice(LOCAL.length + 1)}`;
            const to = `${proxy.registry}/${uniqueRepo(LOCAL, "copy-nomount").slice(LOCAL.length + 1)}`;
            const r = await copyImage(client, { from, to, digest: img.indexDigest });
            assert.deepStrictEqual(r, fresh(img, from, to, "copied"));
            const mounts = proxy.requests.filter((q) => q.method === "POST" && q.url.includes("mount="));
            assert.strictEqual(mounts.length, 5);
            // Each refused mount's session took the bytes: no second POST per blob.
            assert.strictEqual(proxy.requests.filter((q) => q.method === "POST").length, 5);
        } finally {
            await proxy.close();
        }
    });

    it("a source blob whose bytes do not match its digest is refused, and never lands in the target", async () => {
        const { digest, bytes } = img.sharedLayer;
        const tampered = Buffer.from(bytes);
        tampered[100] ^= 0xff;
        const proxy = await startProxy((req, res, forward) => {
            if (req.method === "GET" && req.url?.endsWith(`/blobs/${digest}`)) {
                res.writeHead(200, { "Content-Length": String(tampered.length) });
                res.end(tampered);
                return;
            }
            forward();
        });
        try {
            const from = `${proxy.registry}/${source.slice(LOCAL.length + 1)}`;
            const to = uniqueRepo(LOCAL, "copy-tampered");
            const { createHash } = await import("crypto");
            const got = `sha256:${createHash("sha256").update(tampered).digest("hex")}`;
            await assert.rejects(copyImage(client, { from, to, digest: img.indexDigest, concurrency: 1 }), {
                message: `blob ${from}@${digest} has content digest ${got} (${LAYER} bytes read); nothing was written under ${digest}`,
            });
            assert.strictEqual(await client.hasBlob(to, digest), false);
            assert.strictEqual(await client.headManifest(to, img.indexDigest), undefined);
        } finally {
            await proxy.close();
        }
    });

    it("the target registry killed mid-copy: no tag names a partial image, and the rerun finishes it", async function () {
        this.timeout(120_000);
        const to = uniqueRepo(LOCAL_AUTH, "copy-killed");
        const pidFile = path.join(STATE_DIR, "run", `registry-5001.pid`);
        let killed = false;
        const arrived: string[] = [];
        const faulty = new RegistryClient({
            credentials: { [LOCAL_AUTH]: AUTH_CREDS },
            retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 100 },
            onTransfer: (e) => {
                arrived.push(e.digest);
                if (!killed) {
                    killed = true;
                    process.kill(Number(fs.readFileSync(pidFile, "utf8")), "SIGKILL");
                }
            },
        });
        try {
            await assert.rejects(
                copyImage(faulty, {
                    from: source,
                    to,
                    digest: img.indexDigest,
                    tags: ["3.1.0"],
                    concurrency: 1,
                }),
                (e: Error) =>
                    e instanceof RegistryUnavailableError && e.message.startsWith(`registry ${LOCAL_AUTH}`),
            );
        } finally {
            execFileSync("bash", [path.join(__dirname, "..", "..", "scripts", "local-up.sh")], {
                stdio: "ignore",
            });
        }
        assert.strictEqual(arrived.length, 1);
        const first = img.blobs.find((b) => b.digest === arrived[0]);
        // The index and the tag come last, so neither exists after the interruption.
        assert.strictEqual(await client.headManifest(to, img.indexDigest), undefined);
        assert.strictEqual(await client.headManifest(to, "3.1.0"), undefined);

        const r = await copyImage(client, { from: source, to, digest: img.indexDigest, tags: ["3.1.0"] });
        assert.deepStrictEqual(r, {
            ...fresh(img, source, to, "copied"),
            blobs: { mounted: 0, copied: 4, present: 1 },
            bytesCopied: img.blobBytes - (first?.size ?? NaN),
            tags: [{ tag: "3.1.0", digest: img.indexDigest }],
        });
        await assertSameBytes(img, source, to);
    });

    const refusals: { name: string; o: { from: string; to: string; digest: string }; message: string }[] = [
        {
            name: "a tag on the source",
            o: { from: `${LOCAL}/a/b:1.0.0`, to: `${LOCAL}/c/d`, digest: `sha256:${"a".repeat(64)}` },
            message: `copy source "${LOCAL}/a/b:1.0.0" must be a repository without a tag or digest`,
        },
        {
            name: "a short digest",
            o: { from: `${LOCAL}/a/b`, to: `${LOCAL}/c/d`, digest: "sha256:abc" },
            message: `copy needs a digest sha256:<64 hex>, got "sha256:abc"`,
        },
        {
            name: "source and target the same",
            o: { from: `${LOCAL}/a/b`, to: `${LOCAL}/a/b`, digest: `sha256:${"a".repeat(64)}` },
            message: `copy source and target are both ${LOCAL}/a/b`,
        },
    ];
    for (const c of refusals) {
        it(`refuses ${c.name} before any request`, async () => {
            await assert.rejects(copyImage(client, c.o), { message: c.message });
        });
    }
});
