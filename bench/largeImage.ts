import { ChildProcess, execFile, spawn } from "child_process";
import { createCipheriv } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { DEFAULT_DOCKER } from "../src/builder";
import { buildCache, pruneOwnCache } from "../test/fixtures/builder/buildCache";
import { EnginePeak, enginePeak } from "./enginePeak";
import { log } from "./measure";
import { BUILDAH, tempDockerConfig } from "./peers";
import { removeLocal } from "./promote";

/*
 * A large single-platform image (one file of 5/8 of the size, past 2 GiB at 4 GiB, plus three more
 * and a small one), released by us, by the naive docker pipeline (docker build + docker push) and by
 * buildah in the same run, then promoted across registries by us; at each size asked, one after the
 * other. Each operation runs in its own process for its peak RSS: ours in bench/largeChild.ts
 * (resource usage), docker and buildah under /usr/bin/time; the engine's own peak (dockerd, which
 * builds for ours and for docker) beside them. Disk is finite, so everything lives under one temporary
 * directory (the context, two registries of our own on free 127.0.0.1 ports, buildah's store), what
 * one tool made goes before the next starts, and all of it goes at the end: the engine images and the
 * engine's build cache records the run created over 100 MB.
 */

const exec = promisify(execFile);
const GiB = 1024 ** 3;

/** A tool's build + push: wall seconds, its own peak RSS, per step, and the engine's peak when it uses it. */
export interface ToolRun {
    seconds: number;
    maxRssBytes: number;
    steps: Record<string, number>;
    /** dockerd's peak RSS over the run (ours and docker build in the engine); absent when unmeasurable. */
    engineRssBytes?: number;
}

export interface LargeImageResult {
    bytes: number;
    ours: { seconds: number; maxRssBytes: number; digest: string; engineRssBytes?: number };
    docker?: ToolRun;
    dockerFailure?: string;
    buildah?: ToolRun;
    buildahFailure?: string;
    copy: { seconds: number; maxRssBytes: number; bytesCopied: number };
    /** The machine's 1-minute load average, sampled every 5 s while this size ran. */
    load: number[];
}

/** Deterministic incompressible bytes (AES-CTR of zeros under a fixed key), written 8 MiB at a time. */
function writeNoise(file: string, bytes: number, seed: number): void {
    const cipher = createCipheriv("aes-128-ctr", Buffer.alloc(16, seed), Buffer.alloc(16));
    const zeros = Buffer.alloc(8 * 1024 * 1024);
    const fd = fs.openSync(file, "w");
    try {
        for (let left = bytes; left > 0; left -= zeros.length) {
            fs.writeSync(fd, cipher.update(zeros.subarray(0, Math.min(left, zeros.length))));
        }
    } finally {
        fs.closeSync(fd);
    }
}

function writeLargeContext(dir: string, bytes: number): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\nCOPY . /model/\n");
    const big = Math.floor((bytes * 5) / 8);
    writeNoise(path.join(dir, "weights.bin"), big, 1);
    const rest = Math.floor((bytes - big) / 3);
    for (let i = 0; i < 3; i++) writeNoise(path.join(dir, `shard-${i}.bin`), rest, 2 + i);
    fs.writeFileSync(path.join(dir, "config.json"), '{"model":"bench"}\n');
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.on("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

/** Debian's docker-registry on a free port, storing under `dir`; stopped by the caller (its pid). */
export async function startRegistry(dir: string): Promise<{ registry: string; child: ChildProcess }> {
    const port = await freePort();
    fs.mkdirSync(dir, { recursive: true });
    const config = path.join(dir, "config.yml");
    fs.writeFileSync(
        config,
        `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n` +
            `  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: bench-${port}\n`,
    );
    const child = spawn("docker-registry", ["serve", config], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
        const up = await fetch(`http://127.0.0.1:${port}/v2/`).then(
            (r) => r.ok,
            () => false,
        );
        if (up) return { registry: `127.0.0.1:${port}`, child };
        await new Promise((r) => setTimeout(r, 100));
    }
    child.kill();
    throw new Error(`docker-registry on 127.0.0.1:${port} did not start`);
}

const ROOT = path.join(__dirname, "..");
/** Where the measured children run from: compiled JavaScript, as the CLI ships (ts-node alone is ~130 MB). */
export const BUILD = path.join(ROOT, ".bench-build");

/** Compiles the project into BUILD for the measured children; the caller removes BUILD. */
export async function compile(): Promise<void> {
    await exec(process.execPath, [
        require.resolve("typescript/bin/tsc"),
        "-p",
        path.join(ROOT, "tsconfig.json"),
        "--outDir",
        BUILD,
    ]);
    fs.copyFileSync(path.join(ROOT, "package.json"), path.join(BUILD, "package.json"));
}

/** One bench/largeChild.js operation, compiled, in its own process: its JSON line. */
export async function child(args: string[]): Promise<Record<string, unknown>> {
    const { stdout } = await exec(process.execPath, [path.join(BUILD, "bench", "largeChild.js"), ...args], {
        maxBuffer: 1024 * 1024,
        env: process.env,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
}

/** One command under /usr/bin/time: its wall seconds and peak RSS. */
async function timedCommand(
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv = process.env,
): Promise<{ seconds: number; maxRssBytes: number }> {
    const started = process.hrtime.bigint();
    const { stderr } = await exec("/usr/bin/time", ["-f", "maxrss-kib %M", cmd, ...args], {
        maxBuffer: 64 * 1024 * 1024,
        env,
    });
    const kib = Number(/maxrss-kib (\d+)/.exec(stderr)?.[1] ?? NaN);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, maxRssBytes: kib * 1024 };
}

/**
 * The pipeline without a tool: `docker build` (BuildKit, --no-cache as on a fresh runner) and `docker
 * push`, with a throwaway docker config. The engine image goes at the end.
 */
async function naiveDocker(context: string, target: string, engine: EnginePeak): Promise<ToolRun> {
    const config = tempDockerConfig();
    const env = { ...process.env, DOCKER_BUILDKIT: "1" };
    const d = ["--config", config];
    const peaks: number[] = [];
    const measured = async (args: string[]) => {
        engine.reset();
        const r = await timedCommand(DEFAULT_DOCKER, [...d, ...args], env);
        const p = engine.peak();
        if (p !== undefined) peaks.push(p);
        return r;
    };
    try {
        const build = await measured([
            "build",
            "--quiet",
            "--no-cache",
            "--platform",
            "linux/amd64",
            "-t",
            target,
            context,
        ]);
        const push = await measured(["push", target]);
        return {
            seconds: build.seconds + push.seconds,
            maxRssBytes: Math.max(build.maxRssBytes, push.maxRssBytes),
            steps: { build: build.seconds, push: push.seconds },
            ...(peaks.length === 2 ? { engineRssBytes: Math.max(...peaks) } : {}),
        };
    } finally {
        await removeLocal([target]);
        fs.rmSync(config, { recursive: true, force: true });
    }
}

async function buildah(context: string, store: string, target: string): Promise<ToolRun> {
    const global = ["--root", path.join(store, "root"), "--runroot", path.join(store, "run")];
    try {
        const build = await timedCommand(BUILDAH, [
            ...global,
            "build",
            "--isolation",
            "chroot",
            "--platform",
            "linux/amd64",
            "-t",
            "bench-large",
            context,
        ]);
        const push = await timedCommand(BUILDAH, [
            ...global,
            "push",
            "--tls-verify=false",
            "bench-large",
            `docker://${target}`,
        ]);
        return {
            seconds: build.seconds + push.seconds,
            maxRssBytes: Math.max(build.maxRssBytes, push.maxRssBytes),
            steps: { build: build.seconds, push: push.seconds },
        };
    } finally {
        await exec(BUILDAH, [...global, "rmi", "--all", "--force"]).catch(() => undefined);
    }
}

/** A failed peer's first line, for the figure that reports it. */
async function peerRun<T>(what: string, fn: () => Promise<T>): Promise<{ run?: T; failure?: string }> {
    log(`large image: ${what}`);
    try {
        return { run: await fn() };
    } catch (e) {
        return { failure: (e as Error).message.split("\n")[0] };
    }
}

/** Removes what a measured tool left: the registries' blobs, the engine's big build cache records. */
async function clearBetweenTools(
    root: string,
    cacheBefore: Map<string, string>,
    ownRecords: number,
): Promise<void> {
    await pruneOwnCache(cacheBefore, ownRecords);
    for (const d of ["registry-a", "registry-b"]) {
        fs.rmSync(path.join(root, d, "data"), { recursive: true, force: true });
    }
}

/** The large-image figures at each size in `sizes` (bytes), one after the other, from one compile. */
export async function benchLargeImages(sizes: number[]): Promise<LargeImageResult[]> {
    const out: LargeImageResult[] = [];
    try {
        await compile();
        for (const bytes of sizes) out.push(await benchLargeImage(bytes));
        return out;
    } finally {
        fs.rmSync(BUILD, { recursive: true, force: true });
    }
}

/** The large-image run at `bytes` (4 GiB for the figure); BUILD must be compiled. */
async function benchLargeImage(bytes: number): Promise<LargeImageResult> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-large-"));
    const registries: ChildProcess[] = [];
    const cacheBefore = await buildCache();
    // The engine's records of this context (a COPY of it, its source) are about its size; others' are small.
    const ownRecords = Math.min(100e6, bytes / 2);
    const engine = enginePeak();
    const load = [os.loadavg()[0]];
    const sampler = setInterval(() => load.push(os.loadavg()[0]), 5000);
    try {
        log(`large image: writing a ${(bytes / GiB).toFixed(2)} GiB context`);
        const context = path.join(root, "context");
        writeLargeContext(context, bytes);
        const a = await startRegistry(path.join(root, "registry-a"));
        const b = await startRegistry(path.join(root, "registry-b"));
        registries.push(a.child, b.child);
        log("large image: our release (build, push, SBOM, signature) in its own process");
        engine.reset();
        const ours = await child(["release", context, `${a.registry}/large/ours`]);
        const oursEngine = engine.peak();
        log("large image: promote across registries (copyImage, no mount) in its own process");
        const copy = await child([
            "copy",
            `${a.registry}/large/ours`,
            `${b.registry}/large/ours`,
            String(ours.digest),
        ]);
        // Disk: what one tool made goes before the next needs its own room (about 2.5x the image);
        // and the engine's cache of our build must not serve docker's.
        await clearBetweenTools(root, cacheBefore, ownRecords);
        const docker = await peerRun("naive docker build + push", () =>
            naiveDocker(context, `${b.registry}/large/docker:1.0.0`, engine),
        );
        await clearBetweenTools(root, cacheBefore, ownRecords);
        const peer = await peerRun("buildah build + push", () =>
            buildah(context, path.join(root, "buildah"), `${b.registry}/large/buildah:1.0.0`),
        );
        return {
            bytes,
            ours: {
                ...(ours as LargeImageResult["ours"]),
                ...(oursEngine !== undefined ? { engineRssBytes: oursEngine } : {}),
            },
            copy: copy as LargeImageResult["copy"],
            ...(docker.run ? { docker: docker.run } : {}),
            ...(docker.failure ? { dockerFailure: docker.failure } : {}),
            ...(peer.run ? { buildah: peer.run } : {}),
            ...(peer.failure ? { buildahFailure: peer.failure } : {}),
            load,
        };
    } finally {
        clearInterval(sampler);
        for (const r of registries) r.kill();
        fs.rmSync(root, { recursive: true, force: true });
        await pruneOwnCache(cacheBefore, ownRecords);
    }
}
