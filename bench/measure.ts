import { spawn } from "child_process";
import { RegistryClient } from "../src/registry";

/** One row of the bench table. `pass` is undefined when the issue states no goal for the figure. */
export interface Figure {
    id: string;
    name: string;
    value: number;
    display: string;
    goal: string;
    pass?: boolean;
    detail: string;
}

export function median(xs: number[]): number {
    if (xs.length === 0) throw new Error("median of no samples");
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function seconds(start: bigint): number {
    return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
    const start = process.hrtime.bigint();
    const value = await fn();
    return { seconds: seconds(start), value };
}

export function ms(s: number): string {
    return `${(s * 1000).toFixed(1)} ms`;
}

export function log(line: string): void {
    // Progress goes to stderr so `--json` keeps stdout parseable.
    process.stderr.write(`[bench] ${line}\n`);
}

export interface CommandResult {
    code: number;
    stdout: string;
    stderr: string;
}

export function runCommand(cmd: string, args: string[], allowFail = false): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, {
            env: { ...process.env, DOCKER_BUILDKIT: "1" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (b: Buffer) => out.push(b));
        child.stderr.on("data", (b: Buffer) => err.push(b));
        child.on("error", reject);
        child.on("close", (code) => {
            const r = {
                code: code ?? 1,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
            };
            if (r.code !== 0 && !allowFail) {
                reject(new Error(`${cmd} ${args.join(" ")} failed (exit ${r.code}): ${r.stderr.trim()}`));
            } else resolve(r);
        });
    });
}

/**
 * Best effort: drops every manifest the bench left in its own uniquely named repositories, so tags
 * vanish from the registry. Blobs stay until the registry's garbage collection, which only an operator
 * runs.
 */
export async function deleteRepoManifests(
    client: RegistryClient,
    repo: string,
    knownDigests: string[] = [],
): Promise<void> {
    const digests = new Set(knownDigests);
    try {
        for (const tag of await client.listTags(repo)) {
            const h = await client.headManifest(repo, tag);
            if (h) digests.add(h.digest);
        }
    } catch {
        // A repository that never got a tag has no tag list; the known digests still go.
    }
    for (const d of digests) {
        try {
            await client.deleteManifest(repo, d, { confirm: true });
        } catch {
            // Already gone (an index deleted before its platform manifest, or a shared digest).
        }
    }
}
