import { generateKeyPairSync } from "crypto";
import { runProcess } from "../src/builder";
import { RegistryClient } from "../src/registry";
import { parsePrivateKey, SigningKey } from "../src/signing";

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

export async function runCommand(cmd: string, args: string[], allowFail = false): Promise<CommandResult> {
    const r = await runProcess(cmd, args, { ...process.env, DOCKER_BUILDKIT: "1" });
    const result = { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr };
    if (result.code !== 0 && !allowFail) {
        throw new Error(`${cmd} ${args.join(" ")} failed (exit ${result.code}): ${result.stderr.trim()}`);
    }
    return result;
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

/** A throwaway P-256 key: the bench signs as a release would, with nothing to keep. */
export function throwawayKey(): SigningKey {
    const pem = generateKeyPairSync("ec", { namedCurve: "prime256v1" })
        .privateKey.export({ type: "pkcs8", format: "pem" })
        .toString();
    return parsePrivateKey(pem, undefined, "bench key");
}

export const list = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(", ");

export function errorFigure(id: string, name: string, e: unknown): Figure {
    return {
        id,
        name,
        value: NaN,
        display: "ERROR",
        goal: "-",
        pass: false,
        detail: (e as Error).message,
    };
}

export function peerFailure(id: string, name: string, failure: string): Figure {
    return errorFigure(id, name, new Error(`cannot run here: ${failure}`));
}
