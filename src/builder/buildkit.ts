import * as net from "net";
import * as path from "path";
import { EngineBuild, Engine, ImageExport, runProcess, streamedExport, tail } from "./engine";
import { BuildError } from "./errors";

/*
 * A remote builder: one platform built on a BuildKit daemon through `buildctl`, its image exported as
 * an OCI tarball on buildctl's stdout and read as it comes (engineExport.ts), through the same
 * normaliser as the local engine's `docker save`. So the platform's digest does not depend on which
 * builder built it, and nothing of the image is held whole in memory.
 */

/** `IMAGE_RELEASE_BUILDCTL`, else `buildctl` on PATH (scripts/toolchain.sh builds one). */
export function defaultBuildctl(env: NodeJS.ProcessEnv = process.env): string {
    return env.IMAGE_RELEASE_BUILDCTL ?? "buildctl";
}

/** How long a builder may take to accept a connection, and then to answer `debug workers`. */
export const CONNECT_TIMEOUT_MS = 3_000;
export const PROBE_TIMEOUT_MS = 10_000;

/**
 * Whether anything listens at a `tcp://host:port` or `unix:///path` address: the reason it does not,
 * or undefined. Asked first, so a dead address fails fast and the same way with or without buildctl.
 */
export function connectProblem(address: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<string | undefined> {
    const tcp = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(address);
    const target: net.NetConnectOpts = tcp
        ? { host: tcp[1], port: Number(tcp[2]) }
        : { path: address.replace(/^unix:\/\//, "") };
    return new Promise((resolve) => {
        const socket = net.connect(target);
        const end = (why: string | undefined) => {
            socket.destroy();
            resolve(why);
        };
        socket.setTimeout(timeoutMs, () => end(`no connection within ${timeoutMs / 1000} s`));
        socket.once("connect", () => end(undefined));
        socket.once("error", (e: NodeJS.ErrnoException) => end(e.code ?? e.message));
    });
}

/** The buildctl arguments that build `b` with the Dockerfile frontend, as `docker build` would. */
export function buildctlArgs(address: string, b: EngineBuild): string[] {
    const dockerfile = path.resolve(b.context, b.dockerfile);
    const args = [
        "--addr",
        address,
        "build",
        "--progress",
        "plain",
        "--frontend",
        "dockerfile.v0",
        "--local",
        `context=${path.resolve(b.context)}`,
        "--local",
        `dockerfile=${path.dirname(dockerfile)}`,
        "--opt",
        `filename=${path.basename(dockerfile)}`,
        "--opt",
        `platform=${b.platform}`,
    ];
    for (const k of Object.keys(b.buildArgs).sort()) args.push("--opt", `build-arg:${k}=${b.buildArgs[k]}`);
    args.push("--output", "type=oci,dest=-");
    return args;
}

/** The platforms a `buildctl debug workers` listing names, e.g. `linux/amd64`, `linux/arm64`. */
export function workerPlatforms(listing: string): string[] {
    const out = new Set<string>();
    for (const line of listing.split("\n").slice(1)) {
        const cols = line.trim().split(/\s+/);
        for (const p of (cols[cols.length - 1] ?? "").split(",")) if (p.includes("/")) out.add(p);
    }
    return [...out];
}

export class BuildKitEngine implements Engine {
    constructor(
        readonly address: string,
        private readonly buildctl: string = defaultBuildctl(),
        private readonly env: NodeJS.ProcessEnv = process.env,
    ) {}

    /**
     * Refuses, naming the platform and the address, when the daemon does not answer or has no worker
     * for the platform: asked before any build, so nothing is pushed.
     */
    async probe(platform: string): Promise<void> {
        const who = `the builder for ${platform} at ${this.address}`;
        const refused = await connectProblem(this.address);
        if (refused !== undefined)
            throw new BuildError(`${who} does not answer (${refused}); nothing was built or pushed`);
        const r = await runProcess(
            this.buildctl,
            ["--addr", this.address, "--timeout", String(PROBE_TIMEOUT_MS / 1000), "debug", "workers"],
            this.env,
        ).catch((e: Error) => {
            throw new BuildError(`${who} cannot be asked: ${e.message}`);
        });
        if (r.code !== 0) {
            throw new BuildError(`${who} does not answer: ${tail(r.stderr, 3)}`);
        }
        const platforms = workerPlatforms(r.stdout.toString("utf8"));
        const [os, arch] = platform.split("/");
        if (!platforms.some((p) => p === platform || p.startsWith(`${os}/${arch}/`))) {
            throw new BuildError(
                `${who} has no worker for ${platform} (its workers build: ${platforms.join(", ") || "nothing"})`,
            );
        }
    }

    async buildExport(b: EngineBuild): Promise<ImageExport> {
        return streamedExport(
            this.buildctl,
            buildctlArgs(this.address, b),
            this.env,
            (how, log) =>
                `BuildKit build for ${b.platform} of "${b.context}" at ${this.address} failed (${how}):\n${tail(log)}`,
        );
    }
}

/**
 * An engine for each platform that has a builder, each asked first (all at once): the first that does
 * not answer, or cannot build its platform, refuses the release before anything is built or pushed.
 */
export async function remoteEngines(
    builders: Record<string, string>,
    buildctl?: string,
): Promise<Map<string, BuildKitEngine>> {
    const engines = new Map(
        Object.entries(builders).map(([p, address]) => [p, new BuildKitEngine(address, buildctl)]),
    );
    await Promise.all([...engines].map(([p, e]) => e.probe(p)));
    return engines;
}
