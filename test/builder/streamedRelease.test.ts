import * as assert from "assert";
import { execFile, execFileSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { DockerEngine, engineBuildArgs, hashContext, publishImage, PublishOptions } from "../../src/builder";
import { RegistryClient, RegistryUnavailableError } from "../../src/registry";
import { startProxy, TestProxy } from "../fixtures/registry/proxy";
import { buildSbom } from "../../src/signing";
import type { SpdxFile } from "../../src/signing/sbom";
import { normalizeLayer, readDockerSave, referenceGzip } from "../fixtures/builder/reference";
import { writeNoise } from "../fixtures/builder/sample";
import { buildCache, pruneOwnCache } from "../fixtures/builder/buildCache";

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const FAST = { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 };
const EPOCH = 1700000000;
const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");

function repo(name: string): string {
    return `127.0.0.1:5000/test-stream/${name}-${randomBytes(4).toString("hex")}`;
}

function context(
    files: Record<string, string | Buffer>,
    dockerfile = "FROM scratch\nCOPY . /app/\n",
): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-stream-ctx-"));
    fs.writeFileSync(path.join(dir, "Dockerfile"), dockerfile);
    for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
    return dir;
}

function options(o: Partial<PublishOptions> & { context: string; repository: string }): PublishOptions {
    return {
        platforms: ["linux/amd64"],
        version: "1.0.0",
        gitSha: "0123abc4567def890123abc4567def890123abc4",
        sourceDateEpoch: EPOCH,
        tags: ["1.0.0"],
        client: new RegistryClient(),
        cache: false,
        ...o,
    };
}

/** The layer digests and diff_ids of the pushed linux/amd64 image. */
async function pushedLayers(client: RegistryClient, repository: string, digest: string) {
    const index = await client.getManifest(repository, digest);
    const m = await client.getManifest(repository, index.json.manifests![0].digest);
    const config = JSON.parse((await client.getBlob(repository, m.json.config!.digest)).toString("utf8")) as {
        rootfs: { diff_ids: string[] };
    };
    return { digests: m.json.layers!.map((l) => l.digest), diffIds: config.rootfs.diff_ids };
}

describe("the streamed release @integration", function () {
    this.timeout(600_000);
    const made: string[] = [];
    after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it("gives a small image the digests of the whole-buffer reference (docker save read whole, same compressor)", async () => {
        const ctx = context({ "a.txt": "hello\n".repeat(5000), "b.bin": randomBytes(3 * MiB + 17) });
        made.push(ctx);
        const repository = repo("reference");
        const client = new RegistryClient();
        const r = await publishImage(options({ context: ctx, repository, client }));
        const pushed = await pushedLayers(client, repository, r.digest);
        // The reference: the same build (BuildKit's cache gives the same image), `docker save` read
        // into one Buffer, each layer normalised and compressed whole.
        const engine = new DockerEngine();
        const id = await engine.build({
            context: ctx,
            dockerfile: "Dockerfile",
            platform: "linux/amd64",
            buildArgs: engineBuildArgs(options({ context: ctx, repository })),
        });
        try {
            const saved = await readDockerSave(await engine.save(id));
            const tars = await Promise.all(saved.layers.map((l) => normalizeLayer(l, EPOCH)));
            assert.deepStrictEqual(pushed, {
                digests: tars.map((t) => sha256(referenceGzip(t))),
                diffIds: tars.map(sha256),
            });
        } finally {
            await engine.remove(id);
        }
    });

    it("releases a layer 4x its heap cap in a child with --max-old-space-size=96, SBOM included, peak RSS < 100 MB over the loaded modules", async () => {
        const ctx = context({ "big.bin": Buffer.alloc(0) });
        made.push(ctx);
        writeNoise(path.join(ctx, "big.bin"), 384 * MiB, 7);
        const script = path.join(__dirname, "..", "fixtures", "builder", "boundedRelease.ts");
        const repository = repo("bounded");
        const { stdout } = await exec(
            process.execPath,
            ["--max-old-space-size=96", "-r", "ts-node/register/transpile-only", script],
            {
                env: {
                    ...process.env,
                    IMAGE_RELEASE_TEST_CONTEXT: ctx,
                    IMAGE_RELEASE_TEST_REPOSITORY: repository,
                },
                maxBuffer: MiB,
            },
        );
        const got = JSON.parse(stdout) as {
            digest: string;
            bytesUploaded: number;
            files: number;
            maxRssBytes: number;
            baselineRssBytes: number;
        };
        assert.match(got.digest, /^sha256:[0-9a-f]{64}$/);
        assert.ok(got.bytesUploaded > 384 * MiB, `uploaded ${got.bytesUploaded}`);
        assert.strictEqual(got.files, 2, "the SBOM lists Dockerfile and big.bin");
        // The whole-buffer release held about 6x the layer (2.3 GB here); streamed, a few blocks.
        const grown = got.maxRssBytes - got.baselineRssBytes;
        const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
        assert.ok(
            grown < 100 * 1e6 && got.maxRssBytes < 320 * 1e6,
            `peak RSS ${mb(got.maxRssBytes)}, ${mb(grown)} over the ${mb(got.baselineRssBytes)} of the loaded modules`,
        );
    });

    it("hashes and releases a context holding a 2.5 GiB sparse file (past Node's 2 GiB Buffer limit)", async () => {
        const ctx = context({ "small.txt": "small\n" });
        made.push(ctx);
        // The engine's COPY of the file is 2.5 GB of build cache (not sparse): pruned after the test.
        const cacheBefore = await buildCache();
        try {
            const big = path.join(ctx, "sparse.bin");
            fs.closeSync(fs.openSync(big, "w"));
            fs.truncateSync(big, 2.5 * 1024 * MiB);
            const repository = repo("sparse");
            const client = new RegistryClient();
            const o = options({ context: ctx, repository, client });
            const h = hashContext(ctx, "Dockerfile", engineBuildArgs(o));
            assert.match(h, /^sha256:[0-9a-f]{64}$/);
            const r = await publishImage(o);
            const pushed = await pushedLayers(client, repository, r.digest);
            assert.strictEqual(pushed.digests.length, 1);
            assert.strictEqual(r.contextHash, h);
            // The SBOM streams the 2.5 GiB file out of the layer and hashes it as sha256sum does.
            const sbom = await buildSbom(client, repository, r.digest, {
                created: "2023-11-14T22:13:20Z",
                tool: "t",
            });
            const file = (sbom.files as SpdxFile[]).find((f) => f.fileName === "./app/sparse.bin");
            const want = execFileSync("sha256sum", [big], { encoding: "utf8" }).split(" ")[0];
            assert.deepStrictEqual(file?.checksums[0], { algorithm: "SHA256", checksumValue: want });
        } finally {
            await pruneOwnCache(cacheBefore);
        }
    });

    describe("an upload cut mid-layer (through the test proxy)", () => {
        let proxy: TestProxy | undefined;
        afterEach(async () => {
            await proxy?.close();
            proxy = undefined;
        });

        /** Drops the connection of each big blob PUT once 1 MiB of it arrived, `cuts` times; forwards the rest. */
        async function cuttingProxy(cuts: number): Promise<{ proxy: TestProxy; puts: () => number }> {
            let left = cuts;
            let puts = 0;
            const p = await startProxy((req, _res, forward) => {
                const bigPut =
                    req.method === "PUT" &&
                    (req.url ?? "").includes("/blobs/uploads/") &&
                    Number(req.headers["content-length"]) > 4 * MiB;
                if (bigPut) puts++;
                if (!bigPut || left === 0) return forward();
                left--;
                let got = 0;
                req.on("data", (c: Buffer) => {
                    got += c.length;
                    if (got >= MiB) req.socket.destroy();
                });
            });
            return { proxy: p, puts: () => puts };
        }

        it("leaves no tag when every attempt is cut, and a rerun finishes the release", async () => {
            const ctx = context({ "big.bin": randomBytes(8 * MiB) });
            made.push(ctx);
            const cut = await cuttingProxy(Infinity);
            proxy = cut.proxy;
            const name = repo("cut").slice("127.0.0.1:5000/".length);
            const viaProxy = `${proxy.registry}/${name}`;
            const direct = new RegistryClient();
            const o = options({
                context: ctx,
                repository: viaProxy,
                client: new RegistryClient({ retry: FAST }),
            });
            await assert.rejects(publishImage(o), (e: unknown) => {
                assert.ok(e instanceof RegistryUnavailableError, String(e));
                return true;
            });
            assert.strictEqual(cut.puts(), FAST.attempts, "each attempt sent the layer from its first byte");
            assert.deepStrictEqual(await direct.listTags(`127.0.0.1:5000/${name}`), []);
            const fine = await cuttingProxy(0);
            const again = await publishImage({ ...o, repository: `${fine.proxy.registry}/${name}` });
            await fine.proxy.close();
            assert.deepStrictEqual(await direct.listTags(`127.0.0.1:5000/${name}`), ["1.0.0"]);
            assert.strictEqual((await direct.describe(`127.0.0.1:5000/${name}:1.0.0`)).digest, again.digest);
        });

        it("retries a cut upload from the start within one run: the release succeeds with the reference digest", async () => {
            const ctx = context({ "big.bin": randomBytes(8 * MiB) });
            made.push(ctx);
            const cut = await cuttingProxy(1);
            proxy = cut.proxy;
            const name = repo("cut-once").slice("127.0.0.1:5000/".length);
            const client = new RegistryClient({ retry: FAST });
            const r = await publishImage(
                options({ context: ctx, repository: `${proxy.registry}/${name}`, client }),
            );
            assert.strictEqual(cut.puts(), 2);
            const direct = new RegistryClient();
            const plain = await publishImage(
                options({ context: ctx, repository: repo("uncut"), client: direct }),
            );
            assert.strictEqual(r.digest, plain.digest);
        });
    });
});
