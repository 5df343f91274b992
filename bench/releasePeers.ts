import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import { promisify } from "util";
import * as zlib from "zlib";
import { BlockGzip, DockerEngine, publishImage, readEngineExport } from "../src/builder";
import { RegistryClient } from "../src/registry";
import { deleteRepoManifests, log, median, timed } from "./measure";
import { ARCHES, payload, PAYLOAD_BYTES } from "./payload";
import {
    buildahRelease,
    naiveDockerRelease,
    PeerError,
    PeerRelease,
    PeerRun,
    pushedBytes,
    PushedBytes,
} from "./peers";

export const RELEASE_PLATFORMS = ARCHES.map((a) => `linux/${a}`);
const VERSION = "1.0.0";
const GIT_SHA = "0123abc4567def890123abc4567def890123abc4";
const SOURCE_DATE_EPOCH = 1_700_000_000;

export type Contender = "ours" | "buildah" | "docker";
export const CONTENDERS: Contender[] = ["ours", "buildah", "docker"];
export const CONTENDER_LABEL: Record<Contender, string> = {
    ours: "publishImage",
    buildah: "buildah build --manifest + manifest push --all",
    docker: "docker build x2 + push x2 + manifest create/push",
};

export interface ReleaseSample extends PeerRun {
    repo: string;
    pushed: PushedBytes;
    /** Our publish's own count of blob bytes uploaded (configs included); peers do not report one. */
    uploadedBytes?: number;
}

export interface ContenderResult {
    samples: ReleaseSample[];
    median?: number;
    /** Set when the tool could not run here: its command and output tail. */
    failure?: string;
}

export interface PublishProfile {
    runs: number;
    /** Median wall seconds of each phase of publishImage, replayed phase by phase with its own functions. */
    phases: Record<string, number>;
    /** Medians of the same work done another way, no src/ change: what each phase could cost. */
    alternatives: Record<string, number>;
    layerTarBytes: number;
    layerGzipBytes: number;
}

export interface ReleasePeersResult {
    runs: number;
    /** The uncompressed payload of one release: both arches' files. */
    payloadBytes: number;
    contenders: Record<Contender, ContenderResult>;
    fastestPeer?: Contender;
    /** Our median over the fastest peer's median. */
    ratio?: number;
    profile?: PublishProfile;
}

/**
 * The bench context (FROM scratch, one COPY of a 50 MiB incompressible file per arch), but with bytes
 * unique to `seed`: no earlier push, BuildKit cache entry or blob-info-cache record can match them.
 */
export function writeFreshContext(seed: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-peerctx-"));
    fs.writeFileSync(
        path.join(dir, "Dockerfile"),
        "FROM scratch\nARG TARGETARCH\nCOPY payload-${TARGETARCH}.bin /payload.bin\n",
    );
    for (const arch of ARCHES)
        fs.writeFileSync(path.join(dir, `payload-${arch}.bin`), payload(`${arch}-${seed}`));
    return dir;
}

async function ourRelease(
    client: RegistryClient,
    o: PeerRelease,
): Promise<PeerRun & { uploadedBytes: number }> {
    const r = await timed(() =>
        publishImage({
            context: o.context,
            repository: o.repo,
            platforms: o.platforms,
            version: VERSION,
            gitSha: GIT_SHA,
            sourceDateEpoch: SOURCE_DATE_EPOCH,
            tags: [o.tag],
            client,
            cache: false,
        }),
    );
    if (!r.value.built) throw new Error(`publishImage to ${o.repo} did not build`);
    return {
        seconds: r.seconds,
        steps: { publish: r.seconds },
        notes: [],
        uploadedBytes: r.value.bytesUploaded,
    };
}

async function runContender(client: RegistryClient, who: Contender, o: PeerRelease): Promise<ReleaseSample> {
    let run: PeerRun & { uploadedBytes?: number };
    if (who === "ours") run = await ourRelease(client, o);
    else if (who === "buildah") run = await buildahRelease(o);
    else run = await naiveDockerRelease(o);
    const pushed = await pushedBytes(client, o.repo, o.tag);
    return { ...run, repo: o.repo, pushed };
}

const gzipAsync = promisify(zlib.gzip);

async function collectStream(s: AsyncIterable<unknown>): Promise<number> {
    let n = 0;
    for await (const c of s) n += (c as Buffer).length;
    return n;
}

/**
 * Replays publishImage's pipeline one phase at a time with the same src/build functions, so each
 * phase's cost is visible, then times the costly phases done differently.
 */
async function profileOnce(
    client: RegistryClient,
    repoPrefix: string,
): Promise<Omit<PublishProfile, "runs">> {
    const context = writeFreshContext(`profile-${randomBytes(4).toString("hex")}`);
    const engine = new DockerEngine();
    const phases: Record<string, number> = {};
    const alternatives: Record<string, number> = {};
    const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
        const r = await timed(fn);
        phases[name] = r.seconds;
        return r.value;
    };
    let ids: string[] = [];
    try {
        // publishImage builds and saves the platforms concurrently (Promise.all over buildPlatform).
        ids = await phase("engine build x2 (concurrent)", () =>
            Promise.all(
                RELEASE_PLATFORMS.map((platform) =>
                    engine.build({ context, dockerfile: "Dockerfile", platform, buildArgs: {} }),
                ),
            ),
        );
        // publishImage streams each platform's export into compressed layer files, both at once.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-layers-"));
        const layers = await phase(
            "docker save -> normalise -> block gzip -> file x2 (streamed, concurrent)",
            () =>
                Promise.all(
                    ids.map(async (id, i) => {
                        const exported = engine.exportStream(id);
                        const img = await readEngineExport(exported.stream, {
                            epochSeconds: SOURCE_DATE_EPOCH,
                            dir: path.join(dir, String(i)),
                        });
                        await exported.done;
                        return img.layers;
                    }),
                ),
        );
        const blobs = layers.flat();
        await phase("pushBlobFile x2 layers (concurrent)", () =>
            Promise.all(blobs.map((l) => client.pushBlobFile(`${repoPrefix}-profile`, l))),
        );
        const tars = blobs.map((l) => zlib.gunzipSync(fs.readFileSync(l.path)));
        fs.rmSync(dir, { recursive: true, force: true });
        const alt = async (name: string, fn: () => Promise<unknown>) => {
            alternatives[name] = (await timed(fn)).seconds;
        };
        await alt("BlockGzip x2 alone (from memory, concurrent)", () =>
            Promise.all(tars.map((t) => collectStream(Readable.from([t]).pipe(new BlockGzip())))),
        );
        await alt("zlib.gzipSync level 6 x2 (serial, the 2.1 compressor)", async () =>
            tars.map((t) => zlib.gzipSync(t, { level: 6 })),
        );
        await alt("zlib.gzip level 6 x2 on the threadpool (concurrent)", () =>
            Promise.all(tars.map((t) => gzipAsync(t, { level: 6 }))),
        );
        const gz = blobs;
        return {
            phases,
            alternatives,
            layerTarBytes: tars.reduce((a, t) => a + t.length, 0),
            layerGzipBytes: gz.reduce((a, g) => a + g.size, 0),
        };
    } finally {
        for (const id of ids) await engine.remove(id);
        fs.rmSync(context, { recursive: true, force: true });
    }
}

function medians(samples: Record<string, number>[]): Record<string, number> {
    return Object.fromEntries(Object.keys(samples[0]).map((k) => [k, median(samples.map((s) => s[k]))]));
}

/** profileOnce `runs` times on fresh contexts; each phase's median. */
export async function profilePublish(
    client: RegistryClient,
    repoPrefix: string,
    runs = 3,
): Promise<PublishProfile> {
    const samples: Omit<PublishProfile, "runs">[] = [];
    for (let i = 0; i < runs; i++) samples.push(await profileOnce(client, `${repoPrefix}-${i}`));
    return {
        runs,
        phases: medians(samples.map((s) => s.phases)),
        alternatives: medians(samples.map((s) => s.alternatives)),
        layerTarBytes: samples[0].layerTarBytes,
        layerGzipBytes: samples[0].layerGzipBytes,
    };
}

/**
 * Our 2-arch release against buildah and the naive docker pipeline, interleaved round by round (the
 * order rotates) so a busy moment on the machine hits every contender alike. Every run gets a fresh
 * repository and a fresh context, so each one really builds and uploads every layer.
 */
export async function benchReleasePeers(
    client: RegistryClient,
    repoPrefix: string,
    runs = 3,
    profile: "onMiss" | "always" | "never" = "onMiss",
): Promise<ReleasePeersResult> {
    const contenders = Object.fromEntries(CONTENDERS.map((c) => [c, { samples: [] }])) as unknown as Record<
        Contender,
        ContenderResult
    >;
    const repos: string[] = [];
    try {
        for (let i = 0; i < runs; i++) {
            const order = CONTENDERS.map((_, k) => CONTENDERS[(k + i) % CONTENDERS.length]);
            for (const who of order) {
                const c = contenders[who];
                if (c.failure) continue;
                const repo = `${repoPrefix}-${who}-${i}`;
                repos.push(repo);
                const context = writeFreshContext(`${repoPrefix}-${who}-${i}`);
                try {
                    const sample = await runContender(client, who, {
                        context,
                        repo,
                        tag: VERSION,
                        platforms: RELEASE_PLATFORMS,
                    });
                    c.samples.push(sample);
                    log(`release run ${i + 1} ${who}: ${sample.seconds.toFixed(2)} s`);
                } catch (e) {
                    if (!(e instanceof PeerError)) throw e;
                    c.failure = e.message;
                    log(`release peer ${who} cannot run: ${e.message}`);
                } finally {
                    fs.rmSync(context, { recursive: true, force: true });
                }
            }
        }
        for (const c of Object.values(contenders)) {
            if (c.samples.length > 0) c.median = median(c.samples.map((s) => s.seconds));
        }
        const peers = CONTENDERS.filter((c) => c !== "ours" && contenders[c].median !== undefined);
        const fastestPeer = peers.sort((a, b) => contenders[a].median! - contenders[b].median!)[0];
        const ours = contenders.ours.median;
        const ratio = fastestPeer && ours !== undefined ? ours / contenders[fastestPeer].median! : undefined;
        const result: ReleasePeersResult = {
            runs,
            payloadBytes: ARCHES.length * PAYLOAD_BYTES,
            contenders,
            fastestPeer,
            ratio,
        };
        if (profile === "always" || (profile === "onMiss" && ratio !== undefined && ratio > 1)) {
            log("profiling our publish phase by phase");
            result.profile = await profilePublish(client, repoPrefix);
        }
        return result;
    } finally {
        for (const repo of repos) await deleteRepoManifests(client, repo);
    }
}
