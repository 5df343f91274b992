import { randomBytes } from "crypto";
import * as diagnostics from "diagnostics_channel";
import * as fs from "fs";
import { Readable } from "stream";
import * as zlib from "zlib";
import * as tar from "tar-stream";
import { imageIndex, imageManifest } from "../src/builder";
import {
    copyImage,
    CopyResult,
    Credential,
    MANIFEST_ACCEPT,
    OCI_INDEX,
    OCI_MANIFEST,
    RegistryClient,
    registryBaseUrl,
    sha256Digest,
} from "../src/registry";
import { deleteRepoManifests, log, median, timed } from "./measure";
import { ARCHES, payload } from "./payload";
import { dockerPullTagPush, PeerError, pushedBytes, skopeoCopyAll, tempDockerConfig } from "./peers";

export const SOURCE_REGISTRY = "127.0.0.1:5000";
export const TARGET_REGISTRY = "127.0.0.1:5001";

export interface SourceImage {
    repo: string;
    digest: string;
    /** The index and its platform manifests, for cleanup. */
    manifestDigests: string[];
    /** Blob bytes (two ~50 MB layers, two configs) the index references. */
    blobBytes: number;
    layerBytes: number;
}

const payloads = new Map<string, Buffer>();

function archPayload(arch: string): Buffer {
    let p = payloads.get(arch);
    if (!p) {
        p = payload(arch);
        payloads.set(arch, p);
    }
    return p;
}

async function tarOf(entries: { name: string; body: Buffer }[]): Promise<Buffer> {
    const pack = tar.pack();
    const mtime = new Date(0);
    for (const e of entries) pack.entry({ name: e.name, mode: 0o644, mtime }, e.body);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of Readable.from(pack)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
}

/**
 * Pushes a 2-arch OCI index whose two ~50 MB layers hold the bench payload plus a random `run-id`
 * file, so every source has layer digests no registry, repository or tool cache has seen. The gzip
 * is level 0 (stored blocks): the payload is incompressible, so that is the size a real gzip gives
 * too, without spending seconds of deflate on every fixture.
 */
export async function pushFreshSource(client: RegistryClient, repo: string): Promise<SourceImage> {
    const runId = Buffer.from(randomBytes(16).toString("hex"));
    const entries = [];
    const manifestDigests: string[] = [];
    let blobBytes = 0;
    let layerBytes = 0;
    for (const architecture of ARCHES) {
        const layerTar = await tarOf([
            { name: "payload.bin", body: archPayload(architecture) },
            { name: "run-id", body: runId },
        ]);
        const layer = zlib.gzipSync(layerTar, { level: 0 });
        const config = Buffer.from(
            JSON.stringify({
                architecture,
                os: "linux",
                created: "2023-11-14T22:13:20Z",
                config: {},
                rootfs: { type: "layers", diff_ids: [sha256Digest(layerTar)] },
            }),
        );
        await client.pushBlob(repo, layer);
        await client.pushBlob(repo, config);
        blobBytes += layer.length + config.length;
        layerBytes += layer.length;
        const manifest = imageManifest(config, [layer]);
        manifestDigests.push(await client.putManifest(repo, sha256Digest(manifest), manifest, OCI_MANIFEST));
        entries.push({ platform: { architecture, os: "linux" }, manifest });
    }
    const index = imageIndex(entries, {});
    const digest = await client.putManifest(repo, sha256Digest(index), index, OCI_INDEX);
    return { repo, digest, manifestDigests: [digest, ...manifestDigests], blobBytes, layerBytes };
}

function basic(c: Credential): string {
    return "Basic " + Buffer.from(`${c.username}:${c.password}`).toString("base64");
}

/** The two requests a promotion of a present image cannot avoid, with no client machinery around them. */
export async function bareGetPut(
    from: string,
    to: string,
    digest: string,
    tag: string,
    toCredential?: Credential,
): Promise<void> {
    const url = (repo: string, ref: string) => {
        const slash = repo.indexOf("/");
        return `${registryBaseUrl(repo.slice(0, slash))}/v2/${repo.slice(slash + 1)}/manifests/${ref}`;
    };
    const got = await fetch(url(from, digest), { headers: { Accept: MANIFEST_ACCEPT } });
    if (got.status !== 200) throw new Error(`bare GET ${digest}: ${got.status}`);
    const bytes = Buffer.from(await got.arrayBuffer());
    const put = await fetch(url(to, tag), {
        method: "PUT",
        headers: {
            "Content-Type": got.headers.get("content-type") ?? "",
            ...(toCredential ? { Authorization: basic(toCredential) } : {}),
        },
        body: bytes,
    });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`bare PUT ${tag}: ${put.status}`);
    if (put.headers.get("docker-content-digest") !== digest)
        throw new Error(`bare PUT ${tag} changed digest`);
}

export interface Samples {
    seconds: number[];
    median?: number;
    /** The tool could not run here: its command and output tail. */
    failure?: string;
}

export interface CrossRegistryResult {
    /** bytesStreamed: blob bytes the client's onTransfer saw go into the target; bytesCopied: what copyImage reported. */
    ours: Samples & { bytesStreamed: number[]; bytesCopied: number[]; blobsCopied: number[] };
    skopeo: Samples & { layerBytes: number[]; digestPreserved: boolean; notes: string[] };
    docker: Samples & { layerBytes: number[]; platform: string; pushedDigests: string[]; notes: string[] };
    sourceBlobBytes: number;
    sourceLayerBytes: number;
}

export interface SameRegistryResult {
    mount: Samples & { results: CopyResult[]; bytesStreamed: number[] };
    full: Samples & { results: CopyResult[]; bytesStreamed: number[] };
    /** full copy median over mount median. */
    speedup: number;
}

export interface RepromoteResult {
    copy: Samples;
    bare: Samples;
    /** HTTP requests of one run, "METHOD registry" each, in the order they were sent. */
    copyRequests: string[];
    bareRequests: string[];
    /** copyImage median over bare GET+PUT median. */
    ratio: number;
    alreadyPresent: boolean;
    requestsNote: string;
}

export interface CrossPromoteResult {
    runs: number;
    cross: CrossRegistryResult;
    same: SameRegistryResult;
    repromote: RepromoteResult;
}

function finish<T extends Samples>(s: T): T {
    if (s.seconds.length > 0) s.median = median(s.seconds);
    return s;
}

/** copyImage vs `skopeo copy --all` vs docker pull/tag/push, 5000 → 5001, a fresh source and target each run. */
async function crossRegistry(
    client: CountingClient,
    credential: Credential,
    prefix: string,
    runs: number,
    cleanup: Map<string, string[]>,
): Promise<CrossRegistryResult> {
    const r: CrossRegistryResult = {
        ours: { seconds: [], bytesStreamed: [], bytesCopied: [], blobsCopied: [] },
        skopeo: { seconds: [], layerBytes: [], digestPreserved: true, notes: [] },
        docker: { seconds: [], layerBytes: [], platform: "", pushedDigests: [], notes: [] },
        sourceBlobBytes: 0,
        sourceLayerBytes: 0,
    };
    const dockerConfig = tempDockerConfig({ [TARGET_REGISTRY]: credential });
    const tools = ["ours", "skopeo", "docker"] as const;
    try {
        for (let i = 0; i < runs; i++) {
            for (const who of tools.map((_, k) => tools[(k + i) % tools.length])) {
                if (r[who].failure) continue;
                const from = `${SOURCE_REGISTRY}/${prefix}-src-${who}-${i}`;
                const to = `${TARGET_REGISTRY}/${prefix}-${who}-${i}`;
                const tag = "promoted";
                const src = await pushFreshSource(client, from);
                cleanup.set(from, src.manifestDigests);
                cleanup.set(to, src.manifestDigests);
                r.sourceBlobBytes = src.blobBytes;
                r.sourceLayerBytes = src.layerBytes;
                try {
                    if (who === "ours") {
                        const c = await timed(() =>
                            copyImage(client, { from, to, digest: src.digest, tags: [tag] }),
                        );
                        if (c.value.digest !== src.digest || c.value.alreadyPresent)
                            throw new Error(`copyImage to ${to} did not copy ${src.digest}`);
                        r.ours.seconds.push(c.seconds);
                        r.ours.bytesStreamed.push(client.streamedInto(to));
                        r.ours.bytesCopied.push(c.value.bytesCopied);
                        r.ours.blobsCopied.push(c.value.blobs.copied);
                    } else if (who === "skopeo") {
                        const run = await skopeoCopyAll({
                            from,
                            digest: src.digest,
                            to,
                            tag,
                            destCreds: credential,
                        });
                        r.skopeo.seconds.push(run.seconds);
                        r.skopeo.notes.push(...run.notes);
                        const head = await client.headManifest(to, tag);
                        if (head?.digest !== src.digest) r.skopeo.digestPreserved = false;
                        const pushed = await pushedBytes(client, to, tag);
                        r.skopeo.layerBytes.push(pushed.layers);
                    } else {
                        const run = await dockerPullTagPush({
                            source: `${from}@${src.digest}`,
                            target: `${to}:${tag}`,
                            config: dockerConfig,
                        });
                        r.docker.seconds.push(run.seconds);
                        r.docker.platform = run.platform;
                        r.docker.pushedDigests.push(run.pushedDigest);
                        r.docker.notes.push(...run.notes);
                        r.docker.layerBytes.push((await pushedBytes(client, to, tag)).layers);
                    }
                    log(
                        `cross-registry run ${i + 1} ${who}: ${r[who].seconds[r[who].seconds.length - 1].toFixed(2)} s`,
                    );
                } catch (e) {
                    if (!(e instanceof PeerError)) throw e;
                    r[who].failure = e.message;
                    log(`cross-registry peer ${who} cannot run: ${e.message}`);
                }
            }
        }
    } finally {
        fs.rmSync(dockerConfig, { recursive: true, force: true });
    }
    finish(r.ours);
    finish(r.skopeo);
    finish(r.docker);
    return r;
}

/** One registry, repository A → a fresh repository B each run: cross-repo mount vs a forced full copy. */
async function sameRegistry(
    client: CountingClient,
    src: SourceImage,
    prefix: string,
    runs: number,
    cleanup: Map<string, string[]>,
): Promise<SameRegistryResult> {
    const mount: SameRegistryResult["mount"] = { seconds: [], results: [], bytesStreamed: [] };
    const full: SameRegistryResult["full"] = { seconds: [], results: [], bytesStreamed: [] };
    for (let i = 0; i < runs; i++) {
        for (const [kind, s, useMount] of [
            ["mount", mount, true],
            ["full", full, false],
        ] as const) {
            const to = `${SOURCE_REGISTRY}/${prefix}-same-${kind}-${i}`;
            cleanup.set(to, src.manifestDigests);
            const c = await timed(() =>
                copyImage(client, {
                    from: src.repo,
                    to,
                    digest: src.digest,
                    tags: ["promoted"],
                    mount: useMount,
                }),
            );
            s.seconds.push(c.seconds);
            s.results.push(c.value);
            s.bytesStreamed.push(client.streamedInto(to));
        }
    }
    finish(mount);
    finish(full);
    return { mount, full, speedup: full.median! / mount.median! };
}

/** The HTTP requests `run` sends (fetch's and node:http's alike), as "METHOD host:port". */
async function requestsOf(run: () => Promise<unknown>): Promise<string[]> {
    const seen: string[] = [];
    const onFetch = (m: unknown): void => {
        const r = (m as { request: { method: string; origin: string } }).request;
        seen.push(`${r.method} ${new URL(r.origin).host}`);
    };
    const onHttp = (m: unknown): void => {
        const r = (m as { request: { method: string; getHeader(name: string): unknown } }).request;
        seen.push(`${r.method} ${String(r.getHeader("host"))}`);
    };
    diagnostics.subscribe("undici:request:create", onFetch);
    diagnostics.subscribe("http.client.request.start", onHttp);
    try {
        await run();
    } finally {
        diagnostics.unsubscribe("undici:request:create", onFetch);
        diagnostics.unsubscribe("http.client.request.start", onHttp);
    }
    return seen;
}

/** The target already holds the digest: copyImage (fresh tag each run) vs a bare GET + PUT. */
async function repromote(
    client: RegistryClient,
    credential: Credential,
    src: SourceImage,
    prefix: string,
    runs: number,
    cleanup: Map<string, string[]>,
): Promise<RepromoteResult> {
    const to = `${TARGET_REGISTRY}/${prefix}-repromote`;
    cleanup.set(to, src.manifestDigests);
    await copyImage(client, { from: src.repo, to, digest: src.digest });
    // One untimed round of each warms the connection pool and the registry's caches for both.
    const warm = await copyImage(client, { from: src.repo, to, digest: src.digest, tags: ["warm-copy"] });
    await bareGetPut(src.repo, to, src.digest, "warm-bare", credential);
    const copyRequests = await requestsOf(() =>
        copyImage(client, { from: src.repo, to, digest: src.digest, tags: ["counted-copy"] }),
    );
    const bareRequests = await requestsOf(() =>
        bareGetPut(src.repo, to, src.digest, "counted-bare", credential),
    );
    const copy: Samples = { seconds: [] };
    const bare: Samples = { seconds: [] };
    let alreadyPresent = warm.alreadyPresent;
    for (let i = 0; i < runs; i++) {
        const c = await timed(() =>
            copyImage(client, { from: src.repo, to, digest: src.digest, tags: [`again-${i}`] }),
        );
        alreadyPresent &&= c.value.alreadyPresent && c.value.bytesCopied === 0;
        copy.seconds.push(c.seconds);
        bare.seconds.push(
            (await timed(() => bareGetPut(src.repo, to, src.digest, `bare-${i}`, credential))).seconds,
        );
    }
    finish(copy);
    finish(bare);
    return {
        copy,
        bare,
        ratio: copy.median! / bare.median!,
        copyRequests,
        bareRequests,
        alreadyPresent,
        requestsNote: "bare = GET index from 5000 + PUT tag to 5001",
    };
}

/** A client that also counts, per target repository, the blob bytes it streamed in (onTransfer). */
class CountingClient extends RegistryClient {
    private readonly streamed: Map<string, number>;

    constructor(credential: Credential) {
        const streamed = new Map<string, number>();
        super({
            credentials: { [TARGET_REGISTRY]: credential },
            retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 500 },
            onTransfer: (e) => streamed.set(e.repository, (streamed.get(e.repository) ?? 0) + e.bytes),
        });
        this.streamed = streamed;
    }

    streamedInto(repo: string): number {
        return this.streamed.get(repo) ?? 0;
    }
}

/** 7d alone (`--only repromote`): one fresh 2-arch source, re-promoted into 5001 `runs` times. */
export async function benchRepromote(credential: Credential, runs = 25): Promise<RepromoteResult> {
    const client = new CountingClient(credential);
    const prefix = `bench/xpromote-${randomBytes(4).toString("hex")}`;
    const cleanup = new Map<string, string[]>();
    try {
        const shared = `${SOURCE_REGISTRY}/${prefix}-shared`;
        const src = await pushFreshSource(client, shared);
        cleanup.set(shared, src.manifestDigests);
        log("re-promotion to a target that already has the digest: copyImage vs bare GET+PUT");
        return await repromote(client, credential, src, prefix, runs, cleanup);
    } finally {
        for (const [repo, digests] of cleanup) await deleteRepoManifests(client, repo, digests);
    }
}

export async function benchCrossPromote(
    credential: Credential,
    runs = { cross: 3, same: 3, repromote: 25 },
): Promise<CrossPromoteResult> {
    const client = new CountingClient(credential);
    const prefix = `bench/xpromote-${randomBytes(4).toString("hex")}`;
    const cleanup = new Map<string, string[]>();
    try {
        log(
            `cross-registry promotion ${SOURCE_REGISTRY} -> ${TARGET_REGISTRY}: copyImage vs skopeo vs docker`,
        );
        const cross = await crossRegistry(client, credential, prefix, runs.cross, cleanup);
        const shared = `${SOURCE_REGISTRY}/${prefix}-shared`;
        const src = await pushFreshSource(client, shared);
        cleanup.set(shared, src.manifestDigests);
        log(`same-registry promotion: mount vs full copy from ${shared}`);
        const same = await sameRegistry(client, src, prefix, runs.same, cleanup);
        log("re-promotion to a target that already has the digest: copyImage vs bare GET+PUT");
        const again = await repromote(client, credential, src, prefix, runs.repromote, cleanup);
        return { runs: runs.cross, cross, same, repromote: again };
    } finally {
        for (const [repo, digests] of cleanup) await deleteRepoManifests(client, repo, digests);
    }
}
