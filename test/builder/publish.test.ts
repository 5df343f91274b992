import * as assert from "assert";
import { execFile } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { BuildCache, BuildError, publishImage, PublishOptions } from "../../src/builder";
import { ociLabels } from "../../src/release";
import {
    ImmutableTagError,
    ManifestNotFoundError,
    MissingPlatformError,
    OCI_INDEX,
    OCI_MANIFEST,
    PartialTagError,
    RegistryError,
    RegistryAuthError,
    RegistryClient,
    RegistryUnavailableError,
} from "../../src/registry";
import { RecordingEngine, UnreachableEngine } from "../fixtures/builder/engines";
import { startProxy, TestProxy } from "../fixtures/registry/proxy";

const exec = promisify(execFile);
const DOCKER = "/usr/bin/docker";
const ROOT = path.resolve(__dirname, "..", "..");
const HELLO = path.join(ROOT, "examples", "hello");
const FAILING = path.join(ROOT, "test", "fixtures", "builder", "failing");
const CREDENTIALS_FILE = path.join(
    process.env.IMAGE_RELEASE_STATE_DIR ?? "/var/tmp/image-release-local",
    "registry-5001",
    "credentials",
);
const EPOCH = 1700000000;
const SHA_A = "0123abc";
const SHA_B = "89abcde";
const TAGS_A = ["1.2.3", "1.2", "1", `git-${SHA_A}`];
const FAST = { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 };

function repo(registry: string, name: string): string {
    return `${registry}/test-build/${name}-${randomBytes(4).toString("hex")}`;
}

async function imageExists(ref: string): Promise<boolean> {
    try {
        await exec(DOCKER, ["image", "inspect", ref]);
        return true;
    } catch {
        return false;
    }
}

describe("publishImage against the real engine and registries @integration", function () {
    this.timeout(120_000);
    const client = new RegistryClient({ dockerConfigPath: "/nonexistent/config.json", retry: FAST });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-publish-"));
    const cache = new BuildCache(path.join(tmp, "cache"));
    const engine = new RecordingEngine();
    const repoA = repo("127.0.0.1:5000", "hello");
    let a: Awaited<ReturnType<typeof publishImage>>;

    const options = (over: Partial<PublishOptions>): PublishOptions => ({
        context: HELLO,
        repository: repoA,
        platforms: ["linux/amd64", "linux/arm64"],
        version: "1.2.3",
        gitSha: SHA_A,
        sourceDateEpoch: EPOCH,
        tags: TAGS_A,
        client,
        cache: false,
        ...over,
    });

    before(async () => {
        a = await publishImage(options({ cache, engine }));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("pushes one 2-arch OCI index; all 4 tags resolve to its digest and no other tag exists", async () => {
        assert.strictEqual(a.built, true);
        assert.match(a.digest, /^sha256:[0-9a-f]{64}$/);
        assert.strictEqual(a.ref, `${repoA}@${a.digest}`);
        assert.deepStrictEqual(a.tags, TAGS_A);
        assert.deepStrictEqual(
            a.retagged,
            TAGS_A.map((tag) => ({ tag, digest: a.digest })),
        );
        for (const tag of TAGS_A) {
            const head = await client.headManifest(repoA, tag);
            assert.deepStrictEqual(head && { mediaType: head.mediaType, digest: head.digest }, {
                mediaType: OCI_INDEX,
                digest: a.digest,
            });
        }
        assert.deepStrictEqual((await client.listTags(repoA)).sort(), [...TAGS_A].sort());
    });

    it("has both platforms with the right os/arch, distinct digests, and the release labels", async () => {
        const d = await client.describe(`${repoA}:1.2.3`);
        assert.deepStrictEqual(
            d.platforms.map((p) => [p.platform, p.os, p.architecture, p.variant, p.digest]),
            [
                ["linux/amd64", "linux", "amd64", undefined, a.platformDigests["linux/amd64"]],
                ["linux/arm64", "linux", "arm64", undefined, a.platformDigests["linux/arm64"]],
            ],
        );
        assert.notStrictEqual(a.platformDigests["linux/amd64"], a.platformDigests["linux/arm64"]);
        const labels = ociLabels({ version: "1.2.3", revision: SHA_A, created: EPOCH });
        assert.deepStrictEqual(a.labels, labels);
        assert.deepStrictEqual(d.labels, labels);
        assert.strictEqual(d.created, "2023-11-14T22:13:20Z");
        assert.deepStrictEqual((await client.getManifest(repoA, a.digest)).json.annotations, {
            "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
            "org.opencontainers.image.revision": SHA_A,
            "org.opencontainers.image.version": "1.2.3",
        });
        // Each platform's own config carries its arch and the same labels.
        for (const [platform, digest] of Object.entries(a.platformDigests)) {
            const m = await client.getManifest(repoA, digest);
            assert.strictEqual(m.mediaType, OCI_MANIFEST);
            const config = JSON.parse((await client.getBlob(repoA, m.json.config!.digest)).toString()) as {
                architecture: string;
                created: string;
                config: { Labels: Record<string, string> };
            };
            assert.strictEqual(`linux/${config.architecture}`, platform);
            assert.strictEqual(config.created, "2023-11-14T22:13:20Z");
            assert.deepStrictEqual(config.config.Labels, labels);
        }
    });

    it("uploaded exactly the config and layer bytes of both platforms, and left no local image", async () => {
        // Blobs both platforms share are uploaded once: the layers of `RUN --bake` (/etc/app.json and the
        // engine's mount points) and `RUN --check` (/etc) hold the same files on either architecture.
        const blobs = new Map<string, number>();
        for (const digest of Object.values(a.platformDigests)) {
            const m = await client.getManifest(repoA, digest);
            for (const d of [m.json.config!, ...(m.json.layers ?? [])]) blobs.set(d.digest, d.size);
        }
        const expected = [...blobs.values()].reduce((s, n) => s + n, 0);
        assert.strictEqual(blobs.size, 6);
        assert.strictEqual(a.bytesUploaded, expected);
        assert.strictEqual(engine.ids.length, 2);
        for (const id of engine.ids) assert.strictEqual(await imageExists(id), false, `${id} left behind`);
        const { stdout } = await exec(DOCKER, ["images", "--format", "{{.Repository}}:{{.Tag}}"]);
        assert.deepStrictEqual(
            stdout.split("\n").filter((l) => l.includes("test-build/")),
            [],
        );
    });

    it("an unchanged context with the same BuildCache never calls the engine and uploads nothing", async () => {
        const again = await publishImage(options({ cache, engine: new UnreachableEngine() }));
        assert.strictEqual(again.built, false);
        assert.strictEqual(again.bytesUploaded, 0);
        assert.strictEqual(again.digest, a.digest);
        assert.deepStrictEqual(again.platformDigests, a.platformDigests);
        assert.strictEqual(again.contextHash, a.contextHash);
        assert.deepStrictEqual(
            again.retagged,
            TAGS_A.map((tag) => ({ tag, digest: a.digest, previousDigest: a.digest })),
        );
    });

    it("a fresh runner (empty cache) reuses the build a shared memory vouches for, and never calls the engine", async () => {
        const fresh = new BuildCache(path.join(tmp, "fresh-runner-cache"));
        const asked: string[] = [];
        const lines: string[] = [];
        const again = await publishImage(
            options({
                cache: fresh,
                engine: new UnreachableEngine(),
                onProgress: (l) => lines.push(l),
                remembered: {
                    find: async (key) => {
                        asked.push(key);
                        return { digest: a.digest };
                    },
                },
            }),
        );
        assert.deepStrictEqual(asked, [a.buildKey]);
        assert.deepStrictEqual(
            [again.built, again.bytesUploaded, again.digest, again.platformDigests, again.buildKey],
            [false, 0, a.digest, a.platformDigests, a.buildKey],
        );
        assert.ok(
            lines.includes(`the registry remembers build ${a.buildKey.slice(0, 12)} as ${a.digest}`),
            lines.join("\n"),
        );
        // The runner's own cache learns it: the next release asks nobody.
        assert.deepStrictEqual(fresh.get(a.buildKey), {
            digest: a.digest,
            platformDigests: a.platformDigests,
        });
    });

    it("a record the memory refuses, cannot read, or one missing a platform in the registry, is built over", async () => {
        const cases: [string, { digest: string } | { refused: string } | Error, string][] = [
            [
                "refused",
                { refused: "not signed" },
                `not reusing the registry's record of build ${a.buildKey.slice(0, 12)}: not signed`,
            ],
            [
                "one platform",
                { digest: a.platformDigests["linux/amd64"] },
                `building linux/amd64, linux/arm64 from ${HELLO}`,
            ],
            [
                "unreadable",
                new Error("GET buildkey: 503 Service Unavailable"),
                `cannot read the registry's record of build ${a.buildKey.slice(0, 12)} (GET buildkey: 503 Service Unavailable): building`,
            ],
        ];
        for (const [name, answer, line] of cases) {
            const lines: string[] = [];
            await assert.rejects(
                publishImage(
                    options({
                        cache: new BuildCache(path.join(tmp, `cache-${name.replace(" ", "-")}`)),
                        engine: new UnreachableEngine(),
                        onProgress: (l) => lines.push(l),
                        remembered: {
                            find: async () => {
                                if (answer instanceof Error) throw answer;
                                return answer;
                            },
                        },
                    }),
                ),
                { message: "the engine was called for linux/amd64" },
                name,
            );
            assert.ok(lines.includes(line), `${name}: ${lines.join("\n")}`);
        }
    });

    it("is reproducible: a fresh checkout with other mtimes, no cache, another repo gives the same digests", async () => {
        const copy = path.join(tmp, "hello-copy");
        fs.cpSync(HELLO, copy, { recursive: true });
        const when = new Date("2031-02-03T04:05:06Z");
        for (const f of ["Dockerfile", "rootfs/amd64/server", "rootfs/arm64/server"])
            fs.utimesSync(path.join(copy, f), when, when);
        const oneTag = repo("127.0.0.1:5000", "hello-onetag");
        const r = await publishImage(options({ context: copy, repository: oneTag, tags: ["1.2.3"] }));
        assert.strictEqual(r.built, true);
        assert.strictEqual(r.digest, a.digest);
        assert.deepStrictEqual(r.platformDigests, a.platformDigests);
        assert.strictEqual(r.contextHash, a.contextHash);
        // Build once, tag many: a fresh repo with 1 tag uploads the same layer bytes as one with 4 tags.
        assert.strictEqual(r.bytesUploaded, a.bytesUploaded);
        assert.ok(r.bytesUploaded > 0);
    });

    for (const platform of ["linux/amd64", "linux/arm64"]) {
        it(`the ${platform} image pulled by digest runs in the engine and answers with the version and commit baked into it`, async () => {
            const ref = `${repoA}@${a.platformDigests[platform]}`;
            try {
                await exec(DOCKER, ["pull", "--quiet", ref]);
                const { stdout } = await exec(DOCKER, [
                    "run",
                    "--rm",
                    "--platform",
                    platform,
                    ref,
                    "--check",
                ]);
                assert.strictEqual(stdout, `{"app":"hello","version":"1.2.3","gitSha":"${SHA_A}"}\n`);
            } finally {
                await exec(DOCKER, ["image", "rm", "--force", ref]).catch(() => undefined);
            }
            assert.strictEqual(await imageExists(ref), false);
        });
    }

    it("refuses before building when X.Y.Z names a build of another commit; every tag stays", async () => {
        const otherCommit = { gitSha: SHA_B, tags: ["1.2.3", "1.2", "1", `git-${SHA_B}`] };
        await assert.rejects(
            publishImage(options({ ...otherCommit, engine: new UnreachableEngine(), cache: false })),
            (e: unknown) =>
                e instanceof ImmutableTagError &&
                e.message ===
                    `tag 1.2.3 in ${repoA} already points at ${a.digest}; it was built from commit ${SHA_A}, this release is ${SHA_B}: bump the version (immutable tag; use force to override)`,
        );
        for (const tag of TAGS_A)
            assert.strictEqual((await client.headManifest(repoA, tag))?.digest, a.digest);
        assert.strictEqual(await client.headManifest(repoA, `git-${SHA_B}`), undefined);
        assert.deepStrictEqual((await client.listTags(repoA)).sort(), [...TAGS_A].sort());
    });

    it("refuses to move an existing X.Y.Z to another digest of the same commit; every tag stays", async () => {
        // Same commit, another SOURCE_DATE_EPOCH: passes the pre-build check, differs in bytes. The digest
        // does not depend on the repository, so a scratch repo tells us the other build's digest.
        const otherEpoch = { sourceDateEpoch: EPOCH + 60, cache: false as const };
        const b = await publishImage(
            options({ ...otherEpoch, repository: repo("127.0.0.1:5000", "scratch") }),
        );
        assert.notStrictEqual(b.digest, a.digest);
        await assert.rejects(
            publishImage(options(otherEpoch)),
            (e: unknown) =>
                e instanceof RegistryError &&
                e.message ===
                    `tag 1.2.3 in ${repoA} already points at ${a.digest}; refusing to move it to ${b.digest} (immutable tag; use force to override); ` +
                        `tag git-${SHA_A} in ${repoA} already points at ${a.digest}; refusing to move it to ${b.digest} (immutable tag; use force to override)`,
        );
        for (const tag of TAGS_A)
            assert.strictEqual((await client.headManifest(repoA, tag))?.digest, a.digest);
        assert.deepStrictEqual((await client.listTags(repoA)).sort(), [...TAGS_A].sort());
    });

    it("holds back floating tags a higher release owns (metadata-action#326), and says so", async () => {
        const r = repo("127.0.0.1:5000", "highest");
        const v2 = await publishImage(
            options({ repository: r, version: "2.0.0", tags: ["2.0.0", "2.0", "2", "latest"], cache: false }),
        );
        const lines: string[] = [];
        const old = await publishImage(
            options({
                repository: r,
                version: "1.9.1",
                gitSha: SHA_B,
                tags: ["1.9.1", "1.9", "1", `git-${SHA_B}`, "latest"],
                cache: false,
                onProgress: (l) => lines.push(l),
            }),
        );
        assert.deepStrictEqual(old.tags, ["1.9.1", "1.9", "1", `git-${SHA_B}`]);
        assert.deepStrictEqual(old.heldBack, ["latest"]);
        assert.deepStrictEqual(
            lines.filter((l) => l.startsWith("not moving")),
            ["not moving latest: the registry holds a higher release"],
        );
        assert.strictEqual((await client.headManifest(r, "latest"))?.digest, v2.digest);
        assert.strictEqual((await client.headManifest(r, "1"))?.digest, old.digest);
        const off = await publishImage(
            options({
                repository: r,
                version: "1.9.1",
                gitSha: SHA_B,
                tags: ["1.9.1", "latest"],
                cache: false,
                onlyIfHighest: false,
            }),
        );
        assert.deepStrictEqual([off.tags, off.heldBack], [["1.9.1", "latest"], []]);
        assert.strictEqual((await client.headManifest(r, "latest"))?.digest, old.digest);
    });

    it("a missing platform and a missing digest give their named errors", async () => {
        await assert.rejects(
            client.verify(`${repoA}@${a.digest}`, [
                "linux/amd64",
                "linux/arm64",
                "linux/arm/v7",
                "linux/s390x",
            ]),
            (e: unknown) =>
                e instanceof MissingPlatformError &&
                e.message ===
                    `${repoA}@${a.digest} lacks required platform(s) linux/arm/v7, linux/s390x (has linux/amd64, linux/arm64)`,
        );
        const verified = await client.verify(`${repoA}:1`, ["linux/arm64/v8", "linux/amd64"]);
        assert.strictEqual(verified.digest, a.digest);
        const absent = `sha256:${"0".repeat(64)}`;
        await assert.rejects(
            client.verify(`${repoA}@${absent}`, ["linux/amd64"]),
            (e: unknown) =>
                e instanceof ManifestNotFoundError &&
                e.message === `digest ${absent} not found in repo ${repoA}`,
        );
    });

    it("a Dockerfile that fails gives a BuildError naming the platform, and pushes nothing", async () => {
        const r = repo("127.0.0.1:5000", "failing");
        await assert.rejects(
            publishImage(options({ context: FAILING, repository: r, platforms: ["linux/arm64"] })),
            (e: unknown) =>
                e instanceof BuildError &&
                e.message.startsWith(`docker build for linux/arm64 of "${FAILING}" failed (exit 1):\n`) &&
                e.message.includes("/nonexistent"),
        );
        assert.deepStrictEqual(await client.listTags(r), []);
    });

    describe("127.0.0.1:5001 (basic auth)", () => {
        const [username, password] = fs.readFileSync(CREDENTIALS_FILE, "utf8").trim().split("\n");

        it("publishes with the right credentials", async () => {
            const authed = new RegistryClient({
                credentials: { "127.0.0.1:5001": { username, password } },
                dockerConfigPath: "/nonexistent/config.json",
                retry: FAST,
            });
            const r5001 = repo("127.0.0.1:5001", "hello");
            const r = await publishImage(
                options({ repository: r5001, client: authed, tags: ["1.2.3", "1.2"] }),
            );
            assert.strictEqual(r.digest, a.digest);
            for (const tag of ["1.2.3", "1.2"])
                assert.strictEqual((await authed.headManifest(r5001, tag))?.digest, a.digest);
        });

        it("gives RegistryAuthError with wrong credentials", async () => {
            const wrong = new RegistryClient({
                credentials: { "127.0.0.1:5001": { username, password: `${password}-wrong` } },
                dockerConfigPath: "/nonexistent/config.json",
                retry: FAST,
            });
            const r5001 = repo("127.0.0.1:5001", "hello");
            const p = r5001.slice("127.0.0.1:5001/".length);
            await assert.rejects(
                publishImage(options({ repository: r5001, client: wrong })),
                (e: unknown) =>
                    e instanceof RegistryAuthError &&
                    e.message ===
                        `authentication failed for 127.0.0.1:5001 (scope "repository:${p}:pull"): 401 Unauthorized`,
            );
        });
    });

    it("uploads the platforms' blobs several at a time, each distinct blob once, manifests after all blobs", async () => {
        let active = 0;
        let most = 0;
        const order: string[] = [];
        const proxy = await startProxy((req, res, forward) => {
            const blobPut = req.method === "PUT" && (req.url ?? "").includes("/blobs/uploads/");
            if (req.method === "PUT") order.push(blobPut ? "blob" : "manifest");
            if (!blobPut) return forward();
            most = Math.max(most, ++active);
            res.on("finish", () => active--);
            // Held long enough that uploads which really run together are seen together.
            setTimeout(forward, 150);
        });
        try {
            const path_ = repo("127.0.0.1:5000", "concurrent").slice("127.0.0.1:5000/".length);
            const r = await publishImage(
                options({ repository: `${proxy.registry}/${path_}`, tags: ["1.2.3"] }),
            );
            assert.strictEqual(r.digest, a.digest);
            // The same 6 distinct blobs (the two `RUN` layers are shared) as the first release, each sent once.
            assert.strictEqual(r.bytesUploaded, a.bytesUploaded);
            assert.deepStrictEqual(order, [...Array(6).fill("blob"), ...Array(4).fill("manifest")]);
            assert.ok(most >= 2 && most <= 4, `${most} blob uploads in flight at most`);
        } finally {
            await proxy.close();
        }
    });

    describe("a registry stopped mid-run", () => {
        let proxy: TestProxy | undefined;
        afterEach(async () => {
            await proxy?.close().catch(() => undefined);
            proxy = undefined;
        });

        /** Stops the proxy (closing every connection) when `when` matches; later requests are refused. */
        async function stoppingProxy(when: (method: string, url: string) => boolean): Promise<TestProxy> {
            let stopped = false;
            const p = await startProxy((req, res, forward) => {
                if (stopped || when(req.method ?? "", req.url ?? "")) {
                    stopped = true;
                    res.destroy();
                    void p.close();
                    return;
                }
                forward();
            });
            return p;
        }

        it("while tagging: names the applied and missing tags; floating tags keep their digest", async () => {
            const r = repo("127.0.0.1:5000", "stop-tags");
            const first = await publishImage(options({ repository: r }));
            const path_ = r.slice("127.0.0.1:5000/".length);
            proxy = await stoppingProxy((m, u) => m === "PUT" && u === `/v2/${path_}/manifests/1.2`);
            const viaProxy = `${proxy.registry}/${path_}`;
            const newTags = ["1.2.4", "1.2", "1", `git-${SHA_B}`];
            let newDigest = "";
            await assert.rejects(
                publishImage(
                    options({
                        repository: viaProxy,
                        version: "1.2.4",
                        gitSha: SHA_B,
                        tags: newTags,
                        onProgress: (l) => {
                            const m = /^pushed index (sha256:[0-9a-f]{64})$/.exec(l);
                            if (m) newDigest = m[1];
                        },
                    }),
                ),
                (e: unknown) =>
                    e instanceof PartialTagError &&
                    e.message ===
                        `applying tags to ${viaProxy} failed: registry ${proxy!.registry} unreachable after 2 attempts: ECONNREFUSED; applied: 1.2.4, git-${SHA_B}; not applied: 1.2, 1; restored to previous digest: none`,
            );
            assert.match(newDigest, /^sha256:[0-9a-f]{64}$/);
            assert.notStrictEqual(newDigest, first.digest);
            for (const tag of TAGS_A)
                assert.strictEqual((await client.headManifest(r, tag))?.digest, first.digest);
            assert.strictEqual((await client.headManifest(r, "1.2.4"))?.digest, newDigest);
            // Immutable tags are written first, so what a dead registry leaves is "1.2.4 exists, floating
            // tags not moved yet"; a rerun of the same release completes the set.
            assert.strictEqual((await client.headManifest(r, `git-${SHA_B}`))?.digest, newDigest);
        });

        it("while pushing blobs: RegistryUnavailableError and no tag written or moved", async () => {
            const r = repo("127.0.0.1:5000", "stop-blobs");
            const first = await publishImage(options({ repository: r }));
            const path_ = r.slice("127.0.0.1:5000/".length);
            proxy = await stoppingProxy(
                (m, u) => m === "POST" && u.startsWith(`/v2/${path_}/blobs/uploads/`),
            );
            await assert.rejects(
                publishImage(
                    options({
                        repository: `${proxy.registry}/${path_}`,
                        version: "1.2.4",
                        gitSha: SHA_B,
                        tags: ["1.2.4", "1.2", "1", `git-${SHA_B}`],
                    }),
                ),
                (e: unknown) =>
                    e instanceof RegistryUnavailableError &&
                    e.message === `registry ${proxy!.registry} unreachable after 2 attempts: ECONNREFUSED`,
            );
            assert.deepStrictEqual((await client.listTags(r)).sort(), [...TAGS_A].sort());
            for (const tag of TAGS_A)
                assert.strictEqual((await client.headManifest(r, tag))?.digest, first.digest);
        });
    });
});
