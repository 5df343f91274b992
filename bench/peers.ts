import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_DOCKER, runProcess } from "../src/builder";
import { Credential, RegistryClient, isIndexMediaType } from "../src/registry";
import { seconds } from "./measure";
import { removeLocal } from "./promote";

/**
 * The peer tools the bench measures our release and promotion against. Each runner times only the
 * peer's own commands (storage setup and cleanup are outside the clock) and pushes wherever its caller
 * says; callers give every run a fresh repository and fresh layer bytes, because skopeo, buildah (both
 * through containers/image's blob-info cache) and docker (its v2 metadata) remember where they pushed
 * a blob before and would cross-repo mount it instead of uploading.
 */

export const SKOPEO = "skopeo";
export const BUILDAH = "buildah";

/** A peer that could not do its job: the exact command (secrets masked) and the tail of its output. */
export class PeerError extends Error {
    constructor(
        readonly command: string,
        readonly code: number,
        readonly outputTail: string,
    ) {
        super(`\`${command}\` exited ${code}: ${outputTail}`);
        this.name = "PeerError";
    }
}

export interface PeerRun {
    seconds: number;
    /** Seconds per step, in the order the peer ran them. */
    steps: Record<string, number>;
    /** What the peer did that a reader needs to judge the time (platforms pulled, blobs reused). */
    notes: string[];
}

interface ExecOptions {
    env?: NodeJS.ProcessEnv;
    secrets?: string[];
}

function tail(text: string, lines = 12): string {
    return text.trimEnd().split("\n").slice(-lines).join("\n");
}

function mask(text: string, secrets: string[]): string {
    return secrets.reduce((t, s) => (s ? t.split(s).join("***") : t), text);
}

/** Runs a peer command; any failure (spawn error or non-zero exit) is a PeerError naming it. */
async function exec(
    cmd: string,
    args: string[],
    o: ExecOptions = {},
): Promise<{ stdout: string; stderr: string }> {
    const secrets = o.secrets ?? [];
    const command = mask([cmd, ...args].join(" "), secrets);
    let r;
    try {
        r = await runProcess(cmd, args, { ...process.env, ...(o.env ?? {}) });
    } catch (e) {
        throw new PeerError(command, -1, mask((e as Error).message, secrets));
    }
    const stdout = r.stdout.toString("utf8");
    if (r.code !== 0) throw new PeerError(command, r.code, mask(tail(r.stderr || stdout), secrets));
    return { stdout, stderr: r.stderr };
}

async function step<T>(steps: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    const value = await fn();
    steps[name] = (steps[name] ?? 0) + seconds(start);
    return value;
}

function total(steps: Record<string, number>): number {
    return Object.values(steps).reduce((a, b) => a + b, 0);
}

/**
 * A throwaway docker config holding the credential inline (no credsStore), so docker can push to the
 * htpasswd registry without `docker login` touching the user's ~/.docker.
 */
export function tempDockerConfig(credentials: Record<string, Credential> = {}): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-docker-"));
    const auths = Object.fromEntries(
        Object.entries(credentials).map(([host, c]) => [
            host,
            { auth: Buffer.from(`${c.username}:${c.password}`).toString("base64") },
        ]),
    );
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ auths }), { mode: 0o600 });
    return dir;
}

/** What `docker push` printed per layer: uploaded, mounted from another repository, or already there. */
export function dockerPushOutcome(out: string): { pushed: number; mounted: number; existed: number } {
    const count = (re: RegExp) => (out.match(re) ?? []).length;
    return {
        pushed: count(/: Pushed$/gm),
        mounted: count(/: Mounted from /gm),
        existed: count(/: Layer already exists$/gm),
    };
}

function reuseNotes(tool: string, o: { mounted: number; existed: number }): string[] {
    const notes: string[] = [];
    if (o.mounted > 0) notes.push(`WARNING: ${tool} mounted ${o.mounted} layer(s) instead of uploading`);
    if (o.existed > 0) notes.push(`WARNING: ${tool} found ${o.existed} layer(s) already in the target`);
    return notes;
}

export interface SkopeoCopy {
    /** Source repository, no tag or digest. */
    from: string;
    digest: string;
    /** Target repository, no tag or digest. */
    to: string;
    tag: string;
    destCreds?: Credential;
}

/** `skopeo copy --all` of an index by digest into a tag of another repository (or registry). */
export async function skopeoCopyAll(o: SkopeoCopy): Promise<PeerRun> {
    const steps: Record<string, number> = {};
    const args = ["copy", "--all", "--src-tls-verify=false", "--dest-tls-verify=false"];
    if (o.destCreds) args.push("--dest-creds", `${o.destCreds.username}:${o.destCreds.password}`);
    args.push(`docker://${o.from}@${o.digest}`, `docker://${o.to}:${o.tag}`);
    const out = await step(steps, "copy", () =>
        exec(SKOPEO, args, { secrets: o.destCreds ? [o.destCreds.password] : [] }),
    );
    // 1.9 prints "Copying blob <d>" whether it uploads or reuses; "skipped" appears only on a tty.
    const skipped = (out.stdout.match(/skipped: already exists/g) ?? []).length;
    return { seconds: total(steps), steps, notes: reuseNotes("skopeo", { mounted: 0, existed: skipped }) };
}

export interface DockerPromotion {
    /** Source `repo@digest`. */
    source: string;
    /** Target `repo:tag`. */
    target: string;
    /** A docker config dir (tempDockerConfig) with any credentials the target needs. */
    config: string;
}

export interface DockerPromotionRun extends PeerRun {
    /** The one platform docker pulled (the engine's own). */
    platform: string;
    /** The single-platform manifest docker pushed; not the source index digest. */
    pushedDigest: string;
}

/** docker pull + tag + push: what promotion looks like without a registry-to-registry copy. */
export async function dockerPullTagPush(o: DockerPromotion): Promise<DockerPromotionRun> {
    await removeLocal([o.source, o.target]);
    const steps: Record<string, number> = {};
    const d = (args: string[]) => exec(DEFAULT_DOCKER, ["--config", o.config, ...args]);
    try {
        const pull = await step(steps, "pull", () => d(["pull", o.source]));
        await step(steps, "tag", () => d(["tag", o.source, o.target]));
        const push = await step(steps, "push", () => d(["push", o.target]));
        const platform = (
            await d(["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", o.source])
        ).stdout.trim();
        const pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1] ?? "";
        const notes = reuseNotes("docker push", dockerPushOutcome(push.stdout));
        if (/Already exists/.test(pull.stdout)) notes.push("WARNING: docker pull reused local layers");
        return { seconds: total(steps), steps, notes, platform, pushedDigest };
    } finally {
        await removeLocal([o.source, o.target]);
    }
}

export interface PeerRelease {
    context: string;
    /** Fresh target repository, no tag. */
    repo: string;
    tag: string;
    platforms: string[];
}

/**
 * buildah: one `build --platform a,b --manifest` and one `manifest push --all`. Storage lives in a
 * throwaway --root/--runroot so no earlier build's layers or images are there to reuse.
 * --isolation chroot: the FROM-scratch context has no RUN, but chroot needs no runtime, so a missing or
 * mismatched runc can never be the difference; --tls-verify=false: the local registries speak http.
 */
export async function buildahRelease(o: PeerRelease): Promise<PeerRun> {
    const store = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-buildah-"));
    const global = ["--root", path.join(store, "root"), "--runroot", path.join(store, "run")];
    const list = `bench-${randomBytes(4).toString("hex")}`;
    const steps: Record<string, number> = {};
    try {
        await step(steps, "build", () =>
            exec(BUILDAH, [
                ...global,
                "build",
                "--isolation",
                "chroot",
                "--platform",
                o.platforms.join(","),
                "--manifest",
                list,
                o.context,
            ]),
        );
        await step(steps, "push", () =>
            exec(BUILDAH, [
                ...global,
                "manifest",
                "push",
                "--all",
                "--tls-verify=false",
                list,
                `docker://${o.repo}:${o.tag}`,
            ]),
        );
        return { seconds: total(steps), steps, notes: [] };
    } finally {
        await runProcess(BUILDAH, [...global, "rmi", "--all", "--force"], process.env).catch(() => undefined);
        fs.rmSync(store, { recursive: true, force: true });
    }
}

/**
 * The pipeline without a tool: `docker build --platform` per arch, `docker push` per arch tag, then
 * `docker manifest create` + `push` (--insecure: the registry speaks http; DOCKER_CLI_EXPERIMENTAL only
 * matters to clients before 20.10, which gated `docker manifest` behind it).
 * It leaves one arch tag per platform in the registry, which our release never writes.
 */
export async function naiveDockerRelease(o: PeerRelease): Promise<PeerRun> {
    const config = tempDockerConfig();
    const env = { DOCKER_BUILDKIT: "1", DOCKER_CLI_EXPERIMENTAL: "enabled" };
    const d = (args: string[]) => exec(DEFAULT_DOCKER, ["--config", config, ...args], { env });
    const archRef = (p: string) => `${o.repo}:${o.tag}-${p.split("/").slice(1).join("-")}`;
    const archRefs = o.platforms.map(archRef);
    const steps: Record<string, number> = {};
    try {
        for (const p of o.platforms) {
            await step(steps, "build", () =>
                d(["build", "--quiet", "--platform", p, "-t", archRef(p), o.context]),
            );
        }
        let pushed = "";
        for (const ref of archRefs) pushed += (await step(steps, "push", () => d(["push", ref]))).stdout;
        const list = `${o.repo}:${o.tag}`;
        await step(steps, "manifest", async () => {
            await d(["manifest", "create", "--insecure", list, ...archRefs]);
            await d(["manifest", "push", "--insecure", "--purge", list]);
        });
        return { seconds: total(steps), steps, notes: reuseNotes("docker push", dockerPushOutcome(pushed)) };
    } finally {
        await removeLocal(archRefs);
        fs.rmSync(config, { recursive: true, force: true });
    }
}

export interface PushedBytes {
    /** Compressed layer bytes the target's manifests reference, summed over platforms. */
    layers: number;
    configs: number;
    layerCount: number;
    layerMediaTypes: string[];
    platforms: string[];
    indexMediaType: string;
}

/** Reads what a peer (or we) left in the target: the index, each platform manifest, their sizes. */
export async function pushedBytes(
    client: RegistryClient,
    repo: string,
    reference: string,
): Promise<PushedBytes> {
    const top = await client.getManifest(repo, reference);
    const out: PushedBytes = {
        layers: 0,
        configs: 0,
        layerCount: 0,
        layerMediaTypes: [],
        platforms: [],
        indexMediaType: top.mediaType,
    };
    const entries = isIndexMediaType(top.mediaType)
        ? (top.json.manifests ?? []).map((m) => ({
              digest: m.digest,
              platform: m.platform ? `${m.platform.os}/${m.platform.architecture}` : "?",
          }))
        : [{ digest: top.digest, platform: "single manifest" }];
    for (const e of entries) {
        const m = e.digest === top.digest ? top : await client.getManifest(repo, e.digest);
        out.platforms.push(e.platform);
        out.configs += m.json.config?.size ?? 0;
        for (const l of m.json.layers ?? []) {
            out.layers += l.size;
            out.layerCount++;
            if (!out.layerMediaTypes.includes(l.mediaType)) out.layerMediaTypes.push(l.mediaType);
        }
    }
    return out;
}
