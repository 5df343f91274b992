import * as assert from "assert";
import { randomBytes } from "crypto";
import {
    BlobNotFoundError,
    ImmutableTagError,
    ManifestNotFoundError,
    MissingPlatformError,
    OCI_INDEX,
    OCI_MANIFEST,
    RegistryAuthError,
    RegistryClient,
    RegistryError,
    RegistryProtocolError,
    sha256Digest,
} from "../../src/registry";
import { startProxy } from "../fixtures/registry/proxy";
import {
    AUTH_CREDS,
    LOCAL,
    LOCAL_AUTH,
    TEST_CREATED,
    TEST_LABELS,
    TestImage,
    pushTestImage,
    uniqueRepo,
} from "../fixtures/registry/testImage";

const NO_RETRY = { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 };

describe("RegistryClient against 127.0.0.1:5000 and :5001 @integration", () => {
    const client = new RegistryClient({ retry: NO_RETRY, dockerConfigPath: "/nonexistent/config.json" });

    it("pings the anonymous registry", async () => {
        assert.strictEqual(await client.ping(LOCAL), 200);
    });

    it("basic auth on 5001 works with the right credentials", async () => {
        const c = new RegistryClient({
            credentials: { [LOCAL_AUTH]: AUTH_CREDS },
            dockerConfigPath: "/nonexistent",
        });
        assert.strictEqual(await c.ping(LOCAL_AUTH), 200);
        const name = uniqueRepo(LOCAL_AUTH, "basic");
        const img = await pushTestImage(c, name);
        assert.strictEqual((await c.headManifest(name, img.indexDigest))?.digest, img.indexDigest);
    });

    it("basic auth on 5001 with a bad password gives RegistryAuthError without the password", async () => {
        const c = new RegistryClient({
            credentials: { [LOCAL_AUTH]: { username: "imagerelease", password: "wrong-secret-pw" } },
            dockerConfigPath: "/nonexistent",
        });
        const name = uniqueRepo(LOCAL_AUTH, "badcreds");
        const path = name.slice(LOCAL_AUTH.length + 1);
        await assert.rejects(
            c.headManifest(name, "latest"),
            (e: unknown) =>
                e instanceof RegistryAuthError &&
                e.message ===
                    `authentication failed for ${LOCAL_AUTH} (scope "repository:${path}:pull"): 401 Unauthorized` &&
                !e.message.includes("wrong-secret-pw") &&
                !(e.stack ?? "").includes("wrong-secret-pw"),
        );
    });

    it("anonymous access to 5001 gives RegistryAuthError", async () => {
        const name = uniqueRepo(LOCAL_AUTH, "anon");
        const path = name.slice(LOCAL_AUTH.length + 1);
        await assert.rejects(
            client.getManifest(name, "latest"),
            (e: unknown) =>
                e instanceof RegistryAuthError &&
                e.message ===
                    `authentication failed for ${LOCAL_AUTH} (scope "repository:${path}:pull"): 401 Unauthorized`,
        );
    });

    describe("one pushed index, in a repository of each test's own", () => {
        /** A fresh repository holding one pushed index, its tags already pointing at it. */
        async function pushed(area: string, tags: string[] = []): Promise<{ name: string; img: TestImage }> {
            const name = uniqueRepo(LOCAL, area);
            const img = await pushTestImage(client, name);
            if (tags.length > 0) await client.applyTags(name, img.indexDigest, tags);
            return { name, img };
        }

        /** A client that adds up the blob bytes it uploads. */
        function counting(): { client: RegistryClient; transferred: () => number; reset: () => void } {
            let n = 0;
            const c = new RegistryClient({
                retry: NO_RETRY,
                dockerConfigPath: "/nonexistent/config.json",
                onTransfer: (e) => (n += e.bytes),
            });
            return { client: c, transferred: () => n, reset: () => (n = 0) };
        }

        it("counts the blob bytes once and skips them on re-push", async () => {
            const name = uniqueRepo(LOCAL, "repush");
            const c = counting();
            const img = await pushTestImage(c.client, name);
            assert.strictEqual(c.transferred(), img.blobBytes);
            c.reset();
            const again = await pushTestImage(c.client, name);
            assert.strictEqual(again.indexDigest, img.indexDigest);
            assert.strictEqual(c.transferred(), 0);
        });

        it("applyTags points 4 tags at the index digest", async () => {
            const { name, img } = await pushed("applytags");
            const tags = ["1.4.2", "1.4", "1", "git-0123abc"];
            const results = await client.applyTags(name, img.indexDigest, tags);
            assert.deepStrictEqual(
                results.map((r) => [r.tag, r.digest, r.previousDigest]),
                tags.map((t) => [t, img.indexDigest, undefined]),
            );
            for (const t of tags) {
                assert.deepStrictEqual(await client.headManifest(name, t), {
                    mediaType: OCI_INDEX,
                    digest: img.indexDigest,
                    size: img.indexBytes.length,
                });
            }
            assert.deepStrictEqual((await client.listTags(name)).sort(), [
                "1",
                "1.4",
                "1.4.2",
                "git-0123abc",
            ]);
        });

        it("retag keeps the digest and uploads no blob", async () => {
            const { name, img } = await pushed("retag");
            const c = counting();
            const r = await c.client.retag(name, img.indexDigest, "staging");
            assert.deepStrictEqual(r, { tag: "staging", digest: img.indexDigest });
            assert.strictEqual((await c.client.getManifest(name, "staging")).digest, img.indexDigest);
            assert.strictEqual(c.transferred(), 0);
        });

        it("re-pointing an immutable tag at the same digest is a no-op", async () => {
            const { name, img } = await pushed("noop", ["1.4.2"]);
            assert.deepStrictEqual(await client.retag(name, img.indexDigest, "1.4.2"), {
                tag: "1.4.2",
                digest: img.indexDigest,
                previousDigest: img.indexDigest,
            });
        });

        it("describe gives platforms, digests, labels and created", async () => {
            const { name, img } = await pushed("describe", ["1.4.2"]);
            const d = await client.describe(`${name}:1.4.2`);
            assert.deepStrictEqual(d, {
                name,
                mediaType: OCI_INDEX,
                digest: img.indexDigest,
                platforms: [
                    {
                        platform: "linux/amd64",
                        os: "linux",
                        architecture: "amd64",
                        digest: img.platformDigests["linux/amd64"],
                        size: img.manifestSizes["linux/amd64"],
                    },
                    {
                        platform: "linux/arm64",
                        os: "linux",
                        architecture: "arm64",
                        digest: img.platformDigests["linux/arm64"],
                        size: img.manifestSizes["linux/arm64"],
                    },
                ],
                labels: { ...TEST_LABELS, "test.seed": "one" },
                created: TEST_CREATED,
            });
        });

        it("describe of a single platform manifest reads its config", async () => {
            const { name, img } = await pushed("describe-one");
            const d = await client.describe(`${name}@${img.platformDigests["linux/arm64"]}`);
            assert.strictEqual(d.mediaType, OCI_MANIFEST);
            assert.deepStrictEqual(d.platforms, [
                {
                    platform: "linux/arm64",
                    os: "linux",
                    architecture: "arm64",
                    digest: img.platformDigests["linux/arm64"],
                    size: img.manifestSizes["linux/arm64"],
                },
            ]);
        });

        it("verify passes for both platforms and names a missing one exactly", async () => {
            const { name, img } = await pushed("verify");
            const ok = await client.verify(`${name}@${img.indexDigest}`, ["linux/amd64", "linux/arm64"]);
            assert.strictEqual(ok.digest, img.indexDigest);
            await assert.rejects(
                client.verify(`${name}@${img.indexDigest}`, ["linux/amd64", "linux/s390x"]),
                (e: unknown) =>
                    e instanceof MissingPlatformError &&
                    e.message ===
                        `${name}@${img.indexDigest} lacks required platform(s) linux/s390x (has linux/amd64, linux/arm64)`,
            );
            const single = img.platformDigests["linux/amd64"];
            assert.strictEqual((await client.verify(`${name}@${single}`, ["linux/amd64"])).digest, single);
            await assert.rejects(
                client.verify(`${name}@${single}`, ["linux/amd64", "linux/arm64"]),
                (e: unknown) =>
                    e instanceof MissingPlatformError &&
                    e.message ===
                        `${name}@${single} lacks required platform(s) linux/arm64 (has linux/amd64)`,
            );
        });

        it("a missing digest gives the exact not-found message", async () => {
            const { name } = await pushed("missing");
            const missing = "sha256:" + "0".repeat(64);
            await assert.rejects(
                client.getManifest(name, missing),
                (e: unknown) =>
                    e instanceof ManifestNotFoundError &&
                    e.message === `digest ${missing} not found in repo ${name}` &&
                    e.status === 404 &&
                    e.method === "GET" &&
                    e.errors[0]?.code === "MANIFEST_UNKNOWN",
            );
            await assert.rejects(
                client.applyTags(name, missing, ["9.9.9"]),
                (e: unknown) =>
                    e instanceof ManifestNotFoundError &&
                    e.message === `digest ${missing} not found in repo ${name}`,
            );
            assert.strictEqual(await client.headManifest(name, "9.9.9"), undefined);
        });

        it("a missing blob is a BlobNotFoundError with its own message, not a manifest's", async () => {
            const { name } = await pushed("missing-blob");
            const missing = "sha256:" + "1".repeat(64);
            await assert.rejects(
                client.getBlob(name, missing),
                (e: unknown) =>
                    e instanceof BlobNotFoundError &&
                    !(e instanceof ManifestNotFoundError) &&
                    e.message === `blob ${missing} not found in repo ${name}` &&
                    e.status === 404 &&
                    e.url === `http://${name.replace("/", "/v2/")}/blobs/${missing}` &&
                    e.errors[0]?.code === "BLOB_UNKNOWN",
            );
            assert.strictEqual(await client.hasBlob(name, missing), false);
        });

        it("moving an immutable tag is refused, force allows it, floating tags move", async () => {
            const { name, img } = await pushed("immutable", ["1.4.2", "1.4", "1", "git-0123abc"]);
            const other = await pushTestImage(client, name, "two");
            await assert.rejects(
                client.retag(name, other.indexDigest, "1.4.2"),
                (e: unknown) =>
                    e instanceof ImmutableTagError &&
                    e.message ===
                        `tag 1.4.2 in ${name} already points at ${img.indexDigest}; refusing to move it to ${other.indexDigest} (immutable tag; use force to override)`,
            );
            await assert.rejects(
                client.applyTags(name, other.indexDigest, ["1.4", "1", "git-0123abc"]),
                (e: unknown) => e instanceof ImmutableTagError && e.message.startsWith("tag git-0123abc in "),
            );
            // Refused before any write: the floating tags still point at the first image.
            assert.strictEqual((await client.headManifest(name, "1.4"))?.digest, img.indexDigest);
            assert.deepStrictEqual(await client.retag(name, other.indexDigest, "1.4"), {
                tag: "1.4",
                digest: other.indexDigest,
                previousDigest: img.indexDigest,
            });
            assert.deepStrictEqual(await client.retag(name, other.indexDigest, "1.4.2", { force: true }), {
                tag: "1.4.2",
                digest: other.indexDigest,
                previousDigest: img.indexDigest,
            });
            assert.strictEqual((await client.headManifest(name, "1.4.2"))?.digest, other.indexDigest);
        });

        it("deletes a manifest only with confirm", async () => {
            const name = uniqueRepo(LOCAL, "delete");
            const third = await pushTestImage(client, name, "three");
            await assert.rejects(
                // @ts-expect-error the guard must also hold for untyped callers
                client.deleteManifest(name, third.indexDigest, {}),
                (e: unknown) =>
                    e instanceof RegistryError &&
                    e.message === `refusing to delete ${name}@${third.indexDigest} without { confirm: true }`,
            );
            assert.strictEqual(
                (await client.headManifest(name, third.indexDigest))?.digest,
                third.indexDigest,
            );
            await client.deleteManifest(name, third.indexDigest, { confirm: true });
            assert.strictEqual(await client.headManifest(name, third.indexDigest), undefined);
        });
    });

    describe("applyTags with what the caller already read", () => {
        it("sends only the writes; immutability is still checked against the given heads", async () => {
            const proxy = await startProxy((_req, _res, forward) => forward());
            try {
                const path = uniqueRepo(LOCAL, "known").slice(LOCAL.length + 1);
                const name = `${proxy.registry}/${path}`;
                const a = await pushTestImage(client, name, "known-a");
                const b = await pushTestImage(client, name, "known-b");
                await client.applyTags(name, a.indexDigest, ["5.0.0", "stable"]);
                const manifest = await client.getManifest(name, b.indexDigest);
                proxy.requests.splice(0);
                const requests = (): string[] => proxy.requests.splice(0).map((r) => `${r.method} ${r.url}`);

                // Heads as read by the caller: X.Y.Z already names another digest, so nothing is sent.
                const heads = new Map([
                    ["5.0.0", { digest: a.indexDigest }],
                    ["stable", { digest: a.indexDigest }],
                ]);
                await assert.rejects(
                    client.applyTags(name, b.indexDigest, ["stable", "5.0.0"], {
                        known: { manifest, heads },
                    }),
                    (e: unknown) =>
                        e instanceof ImmutableTagError &&
                        e.message ===
                            `tag 5.0.0 in ${name} already points at ${a.indexDigest}; refusing to move it to ${b.indexDigest} (immutable tag; use force to override)`,
                );
                assert.deepStrictEqual(requests(), []);

                // A tag the map lacks ("edge") is read; the others are not; X.Y.Z goes first.
                const r = await client.applyTags(name, b.indexDigest, ["stable", "edge", "5.0.1"], {
                    known: { manifest, heads: new Map([...heads, ["5.0.1", undefined]]) },
                });
                assert.deepStrictEqual(r, [
                    { tag: "stable", digest: b.indexDigest, previousDigest: a.indexDigest },
                    { tag: "edge", digest: b.indexDigest },
                    { tag: "5.0.1", digest: b.indexDigest },
                ]);
                assert.deepStrictEqual(requests(), [
                    `HEAD /v2/${path}/manifests/edge`,
                    `PUT /v2/${path}/manifests/5.0.1`,
                    `PUT /v2/${path}/manifests/stable`,
                    `PUT /v2/${path}/manifests/edge`,
                ]);
                for (const t of ["stable", "edge", "5.0.1"])
                    assert.strictEqual((await client.headManifest(name, t))?.digest, b.indexDigest, t);

                await assert.rejects(
                    client.applyTags(name, a.indexDigest, ["stable"], { known: { manifest, heads } }),
                    {
                        message: `applyTags for ${a.indexDigest} in ${name} was handed manifest ${b.indexDigest}`,
                    },
                );
            } finally {
                await proxy.close();
            }
        });
    });

    describe("copyBlob streams with node:http", () => {
        const authed = (): RegistryClient =>
            new RegistryClient({
                credentials: { [LOCAL_AUTH]: AUTH_CREDS },
                dockerConfigPath: "/nonexistent",
                retry: NO_RETRY,
            });

        it("answers the source's auth challenge on the GET itself (a client that never talked to it)", async () => {
            const from = uniqueRepo(LOCAL_AUTH, "copyblob-src");
            const to = uniqueRepo(LOCAL, "copyblob-dst");
            const bytes = randomBytes(300_000);
            const { digest } = await authed().pushBlob(from, bytes);
            const fresh = authed();
            assert.strictEqual(await fresh.copyBlob(from, to, { digest, size: bytes.length }), bytes.length);
            assert.ok((await fresh.getBlob(to, digest)).equals(bytes));
        });

        it("follows a redirect to another host without the registry's Authorization", async () => {
            const bytes = randomBytes(200_000);
            const digest = sha256Digest(bytes);
            const storage: { authorization?: string; url?: string }[] = [];
            const store = await startProxy((req, res) => {
                storage.push({ authorization: req.headers.authorization, url: req.url });
                res.writeHead(200, { "Content-Length": String(bytes.length) }).end(bytes);
            });
            const seen: (string | undefined)[] = [];
            const front = await startProxy(
                (req, res, forward) => {
                    if (req.method === "GET" && req.url?.includes("/blobs/sha256:")) {
                        seen.push(req.headers.authorization);
                        res.writeHead(307, { Location: `http://${store.registry}/bucket/blob?sig=x` }).end();
                        return;
                    }
                    forward();
                },
                0,
                5001,
            );
            try {
                const c = new RegistryClient({
                    credentials: { [front.registry]: AUTH_CREDS },
                    dockerConfigPath: "/nonexistent",
                    retry: NO_RETRY,
                });
                const from = `${front.registry}/test/registry-redirect-${randomBytes(4).toString("hex")}`;
                // Learn the registry's challenge first, as copyImage has by the time it copies blobs.
                assert.strictEqual(await c.hasBlob(from, digest), false);
                const to = uniqueRepo(LOCAL, "copyblob-redirect");
                assert.strictEqual(await c.copyBlob(from, to, { digest, size: bytes.length }), bytes.length);
                assert.deepStrictEqual(seen, [
                    `Basic ${Buffer.from("imagerelease:local-only-password").toString("base64")}`,
                ]);
                assert.deepStrictEqual(storage, [{ authorization: undefined, url: "/bucket/blob?sig=x" }]);
                assert.ok((await c.getBlob(to, digest)).equals(bytes));
            } finally {
                await front.close();
                await store.close();
            }
        });

        const sizes: { name: string; delta: number; message: (what: string, n: number) => string }[] = [
            {
                name: "more bytes than the descriptor says",
                delta: -1,
                message: (what, n) => `blob ${what} is larger than its descriptor's ${n - 1} bytes`,
            },
            {
                name: "fewer bytes than the descriptor says",
                delta: +1,
                message: (what, n) => `blob ${what} has ${n} bytes, its descriptor says ${n + 1}`,
            },
        ];
        for (const c of sizes) {
            it(`refuses a source with ${c.name}; the target never gets the blob`, async () => {
                const from = uniqueRepo(LOCAL, "copyblob-size");
                const to = uniqueRepo(LOCAL_AUTH, "copyblob-size");
                const bytes = randomBytes(150_000);
                const { digest } = await client.pushBlob(from, bytes);
                const c2 = authed();
                await assert.rejects(
                    c2.copyBlob(from, to, { digest, size: bytes.length + c.delta }),
                    (e: unknown) =>
                        e instanceof RegistryProtocolError &&
                        e.message ===
                            `${c.message(`${from}@${digest}`, bytes.length)}; nothing was written under ${digest}`,
                );
                assert.strictEqual(await c2.hasBlob(to, digest), false);
            });
        }
    });
});
