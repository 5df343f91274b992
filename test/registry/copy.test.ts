import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    copyImage,
    CopyOptions,
    CopyResult,
    ImmutableTagError,
    OCI_CONFIG,
    OCI_MANIFEST,
    RegistryAuthError,
    RegistryClient,
    RegistryUnavailableError,
    sha256Digest,
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

/** A cosign-like signature beside an image: an OCI manifest with one small layer, pushed under `tag`. */
async function pushArtifact(
    name: string,
    tag: string,
    statement: string,
): Promise<{ digest: string; blobBytes: number }> {
    const layer = Buffer.from(JSON.stringify({ critical: { statement } }));
    const config = Buffer.from(JSON.stringify({ architecture: "", os: "", rootfs: { type: "layers" } }));
    await client.pushBlob(name, layer);
    await client.pushBlob(name, config);
    const manifest = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            config: { mediaType: OCI_CONFIG, digest: sha256Digest(config), size: config.length },
            layers: [
                {
                    mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
                    digest: sha256Digest(layer),
                    size: layer.length,
                    annotations: { "dev.cosignproject.cosign/signature": statement },
                },
            ],
        }),
    );
    const digest = await client.putManifest(name, tag, manifest, OCI_MANIFEST);
    return { digest, blobBytes: layer.length + config.length };
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

    it("re-promotion of a digest the target holds: one round of reads (GET index, HEAD tag), then one PUT", async () => {
        const path_ = uniqueRepo(LOCAL, "copy-again").slice(LOCAL.length + 1);
        await copyImage(client, {
            from: source,
            to: `${LOCAL}/${path_}`,
            digest: img.indexDigest,
            tags: ["3.1.0"],
        });
        const proxy = await startProxy((_req, _res, forward) => forward());
        try {
            const to = `${proxy.registry}/${path_}`;
            const seen = (): string[] => proxy.requests.splice(0).map((r) => `${r.method} ${r.url}`);
            const manifests = `/v2/${path_}/manifests`;
            const r = await copyImage(client, {
                from: source,
                to,
                digest: img.indexDigest,
                tags: ["3.1.0", "stable"],
            });
            assert.deepStrictEqual(r, {
                ...fresh(img, source, to, "copied"),
                alreadyPresent: true,
                blobs: { mounted: 0, copied: 0, present: 0 },
                manifests: { copied: 0, present: 0 },
                bytesCopied: 0,
                tags: [
                    { tag: "3.1.0", digest: img.indexDigest, previousDigest: img.indexDigest },
                    { tag: "stable", digest: img.indexDigest },
                ],
            });
            const requests = seen();
            // The three reads go out together (their order on the wire is the scheduler's); the write is last.
            assert.deepStrictEqual(requests.slice(0, 3).sort(), [
                `GET ${manifests}/${img.indexDigest}`,
                `HEAD ${manifests}/3.1.0`,
                `HEAD ${manifests}/stable`,
            ]);
            assert.deepStrictEqual(requests.slice(3), [`PUT ${manifests}/stable`]);

            // Every tag already there: the reads and nothing else.
            const again = await copyImage(client, {
                from: source,
                to,
                digest: img.indexDigest,
                tags: ["stable"],
            });
            assert.deepStrictEqual(again.tags, [
                { tag: "stable", digest: img.indexDigest, previousDigest: img.indexDigest },
            ]);
            assert.deepStrictEqual(seen().sort(), [
                `GET ${manifests}/${img.indexDigest}`,
                `HEAD ${manifests}/stable`,
            ]);
        } finally {
            await proxy.close();
        }
    });

    it("re-promotion still refuses to move an X.Y.Z tag, before any write", async () => {
        const to = uniqueRepo(LOCAL_AUTH, "copy-again-immutable");
        const other = await pushLayeredImage(client, to, "copy-again-other", 512);
        await client.applyTags(to, other.indexDigest, ["3.1.0"]);
        await copyImage(client, { from: source, to, digest: img.indexDigest, tags: ["stable"] });
        await assert.rejects(
            copyImage(client, { from: source, to, digest: img.indexDigest, tags: ["latest", "3.1.0"] }),
            (e: Error) =>
                e instanceof ImmutableTagError &&
                e.message ===
                    `tag 3.1.0 in ${to} already points at ${other.indexDigest}; refusing to move it to ${img.indexDigest} (immutable tag; use force to override)`,
        );
        assert.strictEqual((await client.headManifest(to, "3.1.0"))?.digest, other.indexDigest);
        assert.strictEqual(await client.headManifest(to, "latest"), undefined);
    });

    describe("artifactTags: cosign's signatures and attestations travel with the image", () => {
        const sigTag = (): string => `${img.indexDigest.replace(":", "-")}.sig`;
        const attTag = (): string => `${img.indexDigest.replace(":", "-")}.att`;
        let sig: { digest: string; blobBytes: number };

        before(async () => {
            sig = await pushArtifact(source, sigTag(), "signed by the release key");
            sourceTags = (await client.listTags(source)).sort();
        });

        const copied = (a: { blobBytes: number }) => ({
            blobs: { mounted: 0, copied: 5 + 2, present: 0 },
            manifests: { copied: 3 + 1, present: 0 },
            bytesCopied: img.blobBytes + a.blobBytes,
        });
        const rows: {
            name: string;
            /** Prepares the target repository before the copy. */
            setup?: (to: string) => Promise<void>;
            artifactTags: () => string[];
            checkOnly?: boolean;
            expected: (to: string) => Partial<CopyResult>;
            /** Where the target's `.sig` tag points afterwards. */
            targetSig: "source" | "other" | "none";
        }[] = [
            {
                name: "copied: the source has it, the target does not",
                artifactTags: () => [sigTag()],
                expected: () => ({ ...copied(sig), artifacts: [{ tag: sigTag(), result: "copied" }] }),
                targetSig: "source",
            },
            {
                name: "copied into a target that already holds the image: only the artifact moves",
                setup: async (to) =>
                    void (await copyImage(client, { from: source, to, digest: img.indexDigest })),
                artifactTags: () => [sigTag()],
                expected: () => ({
                    alreadyPresent: true,
                    blobs: { mounted: 0, copied: 2, present: 0 },
                    manifests: { copied: 1, present: 0 },
                    bytesCopied: sig.blobBytes,
                    artifacts: [{ tag: sigTag(), result: "copied" }],
                }),
                targetSig: "source",
            },
            {
                name: "present: the target's tag has the same digest",
                setup: async (to) => void (await pushArtifact(to, sigTag(), "signed by the release key")),
                artifactTags: () => [sigTag()],
                expected: () => ({ artifacts: [{ tag: sigTag(), result: "present" }] }),
                targetSig: "source",
            },
            {
                name: "absent: the source has no such tag, and none is made",
                artifactTags: () => [attTag()],
                expected: () => ({ artifacts: [{ tag: attTag(), result: "absent" }] }),
                targetSig: "none",
            },
            {
                name: "kept-target: the target's tag names another digest and is not overwritten",
                setup: async (to) => void (await pushArtifact(to, sigTag(), "signed by another key")),
                artifactTags: () => [sigTag(), attTag()],
                expected: () => ({
                    artifacts: [
                        { tag: sigTag(), result: "kept-target" },
                        { tag: attTag(), result: "absent" },
                    ],
                }),
                targetSig: "other",
            },
            {
                name: "checkOnly: says what a copy would do, writes nothing",
                artifactTags: () => [sigTag(), attTag()],
                checkOnly: true,
                expected: () => ({
                    blobs: { mounted: 0, copied: 0, present: 0 },
                    manifests: { copied: 0, present: 0 },
                    bytesCopied: 0,
                    artifacts: [
                        { tag: sigTag(), result: "copied" },
                        { tag: attTag(), result: "absent" },
                    ],
                }),
                targetSig: "none",
            },
        ];
        for (const row of rows) {
            it(row.name, async () => {
                const to = uniqueRepo(LOCAL_AUTH, "copy-artifacts");
                await row.setup?.(to);
                const before = (await client.headManifest(to, sigTag()))?.digest;
                const o: CopyOptions = {
                    from: source,
                    to,
                    digest: img.indexDigest,
                    tags: ["stable"],
                    artifactTags: row.artifactTags(),
                    ...(row.checkOnly ? { checkOnly: true } : {}),
                };
                const r = await copyImage(client, o);
                assert.deepStrictEqual(r, {
                    ...fresh(img, source, to, "copied"),
                    tags: row.checkOnly ? [] : [{ tag: "stable", digest: img.indexDigest }],
                    ...row.expected(to),
                });
                const after = (await client.headManifest(to, sigTag()))?.digest;
                const want = { source: sig.digest, other: before, none: undefined }[row.targetSig];
                assert.strictEqual(after, want);
                if (row.targetSig === "other") assert.notStrictEqual(after, sig.digest);
                assert.strictEqual(await client.headManifest(to, attTag()), undefined);
                if (row.checkOnly) assert.deepStrictEqual(await client.listTags(to), []);
                if (row.targetSig === "source") {
                    const [a, b] = await Promise.all([
                        client.getManifest(source, sigTag()),
                        client.getManifest(to, sigTag()),
                    ]);
                    assert.ok(a.bytes.equals(b.bytes));
                    for (const l of [a.json.config!, ...(a.json.layers ?? [])])
                        assert.strictEqual(await client.hasBlob(to, l.digest), true, l.digest);
                }
            });
        }

        it("refuses an artifact tag that is not a tag, before any request", async () => {
            await assert.rejects(
                copyImage(client, {
                    from: source,
                    to: uniqueRepo(LOCAL_AUTH, "copy-artifacts"),
                    digest: img.indexDigest,
                    artifactTags: ["sha256:abc.sig"],
                }),
                { message: `artifact tag "sha256:abc.sig" is not a tag: must match [\\w][\\w.-]{0,127}` },
            );
        });
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
