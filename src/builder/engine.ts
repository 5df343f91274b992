import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import { isDigest } from "../release";
import { BuildError } from "./errors";

/** The 20.10 client has BuildKit built in; /usr/local/bin/docker refuses BuildKit without buildx. */
export const DEFAULT_DOCKER = "/usr/bin/docker";

export interface EngineBuild {
    context: string;
    dockerfile: string;
    platform: string;
    buildArgs: Record<string, string>;
}

/**
 * One platform's image as its builder exports it, streamed: the `docker save` layout or an OCI
 * tarball (engineExport.ts reads both). `done` settles once the builder is finished with it (a
 * BuildError on failure); `stop` ends it early when the reader gave up.
 */
export interface ImageExport {
    stream: Readable;
    done: Promise<void>;
    stop: () => void;
}

/**
 * What the builder needs of an engine: one platform built from a context and exported as a stream.
 * The local Docker engine (DockerEngine) and a BuildKit daemon (BuildKitEngine, buildkit.ts) both
 * answer; the export goes through the same normaliser either way, so the digests are the same.
 */
export interface Engine {
    buildExport(b: EngineBuild): Promise<ImageExport>;
}

export interface Exec {
    code: number;
    stdout: Buffer;
    stderr: string;
}

/** Runs a command to completion; a non-zero exit is a result, not an error (callers word it). */
export function runProcess(docker: string, args: string[], env: NodeJS.ProcessEnv): Promise<Exec> {
    return new Promise((resolve, reject) => {
        const child = spawn(docker, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (b: Buffer) => out.push(b));
        child.stderr.on("data", (b: Buffer) => err.push(b));
        child.on("error", (e) => reject(new BuildError(`cannot run ${docker}: ${e.message}`)));
        child.on("close", (code) =>
            resolve({
                code: code ?? 1,
                stdout: Buffer.concat(out),
                stderr: Buffer.concat(err).toString("utf8"),
            }),
        );
    });
}

export function tail(text: string, lines = 15): string {
    return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Drives the local Docker engine through its CLI. Images are built by id and never tagged, so a
 * release leaves no arch-suffixed tags behind, locally or in the registry.
 */
/** How much of a streamed process's stderr is kept for its failure (a build's log can be long). */
const LOG_KEEP = 64 * 1024;

/**
 * A process whose stdout is an image export (`docker save`, `buildctl build --output type=oci,dest=-`),
 * read as it comes: `done` settles once it exits (a BuildError from `failed(exit code or signal, the tail
 * of its stderr)`), `stop` ends it early when the reader gave up.
 */
export function streamedExport(
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    failed: (how: string, log: string) => string,
): ImageExport {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stderr.on("data", (c: Buffer) => {
        log = (log + c.toString("utf8")).slice(-LOG_KEEP);
    });
    const done = new Promise<void>((resolve, reject) => {
        child.on("error", (e) => reject(new BuildError(`cannot run ${command}: ${e.message}`)));
        child.on("close", (code, signal) => {
            if (code === 0) resolve();
            else reject(new BuildError(failed(String(code ?? signal), log)));
        });
    });
    done.catch(() => undefined);
    return { stream: child.stdout, done, stop: () => child.kill() };
}

export class DockerEngine implements Engine {
    constructor(
        private readonly docker: string = process.env.IMAGE_RELEASE_DOCKER ?? DEFAULT_DOCKER,
        private readonly env: NodeJS.ProcessEnv = process.env,
    ) {}

    async build(b: EngineBuild): Promise<string> {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-iid-"));
        const iidFile = path.join(tmp, "iid");
        try {
            const args = [
                "build",
                "--platform",
                b.platform,
                "--file",
                path.resolve(b.context, b.dockerfile),
                "--iidfile",
                iidFile,
                "--progress",
                "plain",
            ];
            for (const k of Object.keys(b.buildArgs).sort())
                args.push("--build-arg", `${k}=${b.buildArgs[k]}`);
            args.push(b.context);
            const r = await runProcess(this.docker, args, { ...this.env, DOCKER_BUILDKIT: "1" });
            if (r.code !== 0) {
                throw new BuildError(
                    `docker build for ${b.platform} of "${b.context}" failed (exit ${r.code}):\n${tail(r.stderr)}`,
                );
            }
            const id = fs.readFileSync(iidFile, "utf8").trim();
            if (!isDigest(id)) {
                throw new BuildError(`docker build for ${b.platform} wrote no image id (got "${id}")`);
            }
            return id;
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    }

    /** Built by id, exported by `docker save`, and the untagged image dropped once the export is read. */
    async buildExport(b: EngineBuild): Promise<ImageExport> {
        const id = await this.build(b);
        const exported = this.exportStream(id);
        const done = exported.done.finally(() => this.remove(id));
        done.catch(() => undefined);
        return { ...exported, done };
    }

    /** The legacy `docker save` tarball: manifest.json, <config>.json and uncompressed layer tars. */
    async save(imageId: string): Promise<Buffer> {
        const r = await runProcess(this.docker, ["save", imageId], this.env);
        if (r.code !== 0) throw new BuildError(`docker save ${imageId} failed: ${tail(r.stderr)}`);
        return r.stdout;
    }

    /**
     * The same export as a stream: `done` settles once the process exits (a BuildError on failure),
     * `stop` ends it early when the reader gave up.
     */
    exportStream(imageId: string): ImageExport {
        return streamedExport(
            this.docker,
            ["save", imageId],
            this.env,
            (how, log) => `docker save ${imageId} failed (${how}): ${tail(log)}`,
        );
    }

    /** Drops the untagged local image; BuildKit's cache stays, so a rebuild is still fast. */
    async remove(imageId: string): Promise<void> {
        await runProcess(this.docker, ["image", "rm", "--force", imageId], this.env);
    }

    async version(): Promise<string> {
        const r = await runProcess(this.docker, ["version", "--format", "{{.Server.Version}}"], this.env);
        if (r.code !== 0) throw new BuildError(`the Docker engine does not answer: ${tail(r.stderr, 3)}`);
        return r.stdout.toString("utf8").trim();
    }
}
