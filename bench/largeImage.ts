import { ChildProcess, execFile, spawn } from "child_process";
import { createCipheriv } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { Figure, log } from "./measure";
import { BUILDAH } from "./peers";
import { buildCache, pruneOwnCache } from "../test/fixtures/builder/buildCache";

/*
 * A large single-platform image (one file of 5/8 of the size, past 2 GiB at 4 GiB, plus three more
 * and a small one), released by us and by buildah in the same run, then promoted across registries by
 * us. Each operation runs in its own process for its peak RSS: ours in bench/largeChild.ts (resource
 * usage), buildah under /usr/bin/time. Disk is finite, so everything lives under one temporary
 * directory (the context, two registries of our own on free 127.0.0.1 ports, buildah's store), and all
 * of it goes at the end, with the engine's build cache records the run created over 100 MB.
 */

const exec = promisify(execFile);
const GiB = 1024 ** 3;
const MB = 1e6;

export interface LargeImageResult {
    bytes: number;
    ours: { seconds: number; maxRssBytes: number; digest: string };
    buildah?: { seconds: number; maxRssBytes: number; steps: Record<string, number> };
    buildahFailure?: string;
    copy: { seconds: number; maxRssBytes: number; bytesCopied: number };
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
async function timedCommand(cmd: string, args: string[]): Promise<{ seconds: number; maxRssBytes: number }> {
    const started = process.hrtime.bigint();
    const { stderr } = await exec("/usr/bin/time", ["-f", "maxrss-kib %M", cmd, ...args], {
        maxBuffer: 64 * 1024 * 1024,
    });
    const kib = Number(/maxrss-kib (\d+)/.exec(stderr)?.[1] ?? NaN);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, maxRssBytes: kib * 1024 };
}

async function buildah(context: string, store: string, target: string): Promise<LargeImageResult["buildah"]> {
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

/** The large-image figure at `bytes` (4 GiB for the figure). */
export async function benchLargeImage(bytes: number): Promise<LargeImageResult> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-large-"));
    const registries: ChildProcess[] = [];
    const cacheBefore = await buildCache();
    try {
        await compile();
        log(`large image: writing a ${(bytes / GiB).toFixed(2)} GiB context`);
        const context = path.join(root, "context");
        writeLargeContext(context, bytes);
        const a = await startRegistry(path.join(root, "registry-a"));
        const b = await startRegistry(path.join(root, "registry-b"));
        registries.push(a.child, b.child);
        log("large image: our release (build, push, SBOM, signature) in its own process");
        const ours = await child(["release", context, `${a.registry}/large/ours`]);
        log("large image: promote across registries (copyImage, no mount) in its own process");
        const copy = await child([
            "copy",
            `${a.registry}/large/ours`,
            `${b.registry}/large/ours`,
            String(ours.digest),
        ]);
        // Disk: what is measured goes before buildah needs its own room (about 2.5x the image).
        await pruneOwnCache(cacheBefore);
        for (const d of ["registry-a", "registry-b"]) {
            fs.rmSync(path.join(root, d, "data"), { recursive: true, force: true });
        }
        let peer: LargeImageResult["buildah"];
        let buildahFailure: string | undefined;
        log("large image: buildah build + push");
        try {
            peer = await buildah(context, path.join(root, "buildah"), `${b.registry}/large/buildah:1.0.0`);
        } catch (e) {
            buildahFailure = (e as Error).message.split("\n")[0];
        }
        return {
            bytes,
            ours: ours as LargeImageResult["ours"],
            copy: copy as LargeImageResult["copy"],
            ...(peer ? { buildah: peer } : {}),
            ...(buildahFailure ? { buildahFailure } : {}),
        };
    } finally {
        for (const r of registries) r.kill();
        fs.rmSync(root, { recursive: true, force: true });
        fs.rmSync(BUILD, { recursive: true, force: true });
        await pruneOwnCache(cacheBefore);
    }
}

export function largeImageFigures(r: LargeImageResult): Figure[] {
    const size = `${(r.bytes / GiB).toFixed(2)} GiB`;
    const mb = (b: number): string => `${(b / MB).toFixed(0)} MB`;
    const out: Figure[] = [
        {
            id: "large.releaseRss",
            name: `8a ${size} image: release peak RSS (SBOM + signature included)`,
            value: r.ours.maxRssBytes,
            display: mb(r.ours.maxRssBytes),
            goal: "<= 512 MB",
            pass: r.ours.maxRssBytes <= 512 * MB,
            detail: `release ${r.ours.seconds.toFixed(1)} s, ${r.ours.digest}`,
        },
        {
            id: "large.copyRss",
            name: `8b ${size} image: promote across registries, peak RSS`,
            value: r.copy.maxRssBytes,
            display: mb(r.copy.maxRssBytes),
            goal: "<= 256 MB",
            pass: r.copy.maxRssBytes <= 256 * MB,
            detail: `copy ${r.copy.seconds.toFixed(1)} s, ${r.copy.bytesCopied} B streamed`,
        },
    ];
    if (r.buildah) {
        const ratio = r.ours.seconds / r.buildah.seconds;
        out.push({
            id: "large.vsBuildah",
            name: `8c ${size} image: release wall / buildah build + push`,
            value: ratio,
            display: `${ratio.toFixed(2)}x`,
            goal: "<= 1.0x",
            pass: ratio <= 1.0,
            detail:
                `ours ${r.ours.seconds.toFixed(1)} s (with SBOM and signature) vs buildah ${r.buildah.seconds.toFixed(1)} s ` +
                `(build ${r.buildah.steps.build.toFixed(1)} + push ${r.buildah.steps.push.toFixed(1)}, peak RSS ` +
                `${mb(r.buildah.maxRssBytes)})`,
        });
    }
    return out;
}

if (require.main === module) {
    const gib = Number(process.argv[2] ?? "4");
    benchLargeImage(Math.round(gib * GiB)).then(
        (r) => {
            for (const f of largeImageFigures(r))
                console.log(`${f.name}: ${f.display} (goal ${f.goal})\n    ${f.detail}`);
            if (r.buildahFailure) console.log(`buildah could not run: ${r.buildahFailure}`);
            console.log(JSON.stringify(r));
        },
        (e: Error) => {
            console.error(`bench: ${e.stack ?? e.message}`);
            process.exitCode = 1;
        },
    );
}
