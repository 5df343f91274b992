import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { status } from "../src/flows";
import { OCI_INDEX, RegistryClient, sha256Digest } from "../src/registry";
import { deleteRepoManifests, timed } from "./measure";

const SERVICES = 50;
const STACKS = ["dev", "staging", "prod"];
const CONCURRENCY = 16;

export interface StatusBenchResult {
    services: number;
    stacks: number;
    concurrency: number;
    parallelSeconds: number;
    sequentialSeconds: number;
    /** Sequential time over parallel time. */
    ratio: number;
}

interface Setup {
    dir: string;
    repos: { repo: string; digest: string }[];
}

/**
 * 50 services x 3 stacks as 150 stack files (`svc<i>-<env>`) in one stacks dir, one repository and
 * one tiny index per service: an empty index is enough for the HEAD requests status makes.
 */
async function setup(client: RegistryClient): Promise<Setup> {
    const run = randomBytes(4).toString("hex");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-"));
    const repos = await Promise.all(
        Array.from({ length: SERVICES }, async (_, i) => {
            const repo = `127.0.0.1:5000/bench/status-${run}-svc${i}`;
            const index = Buffer.from(
                JSON.stringify({
                    schemaVersion: 2,
                    mediaType: OCI_INDEX,
                    manifests: [],
                    annotations: { svc: String(i) },
                }),
            );
            const digest = await client.putManifest(repo, sha256Digest(index), index, OCI_INDEX);
            await client.retag(repo, digest, "staging");
            for (const s of STACKS) {
                const pin =
                    s === "dev"
                        ? "  image-release:build:\n    context: .\n    dockerfile: Dockerfile\n"
                        : `  image-release:digest: ${digest}\n  image-release:version: 1.0.${i}\n`;
                fs.writeFileSync(
                    path.join(dir, `Pulumi.svc${i}-${s}.yaml`),
                    `config:\n  image-release:repository: ${repo}\n  image-release:channel: ${s}\n${pin}`,
                );
            }
            return { repo, digest };
        }),
    );
    return { dir, repos };
}

async function time(client: RegistryClient, dir: string, concurrency: number): Promise<number> {
    const { seconds, value: rows } = await timed(() =>
        status({ stacksDir: dir, repoRoot: dir, concurrency }, { client }),
    );
    const failed = rows.filter((r) => r.error);
    if (failed.length > 0) throw new Error(`${failed.length} stacks failed: ${failed[0].error}`);
    if (rows.length !== SERVICES * STACKS.length)
        throw new Error(`status returned ${rows.length} rows, expected ${SERVICES * STACKS.length}`);
    return seconds;
}

export async function benchStatus(
    client: RegistryClient = new RegistryClient({ retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 200 } }),
): Promise<StatusBenchResult> {
    const { dir, repos } = await setup(client);
    try {
        await time(client, dir, CONCURRENCY); // warm the connection pool so neither run pays for it
        const parallelSeconds = await time(client, dir, CONCURRENCY);
        const sequentialSeconds = await time(client, dir, 1);
        return {
            services: SERVICES,
            stacks: STACKS.length,
            concurrency: CONCURRENCY,
            parallelSeconds,
            sequentialSeconds,
            ratio: sequentialSeconds / parallelSeconds,
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        await Promise.all(repos.map((r) => deleteRepoManifests(client, r.repo, [r.digest])));
    }
}

export function formatStatus(r: StatusBenchResult): string {
    return `status ${r.services}x${r.stacks}: parallel ${r.parallelSeconds.toFixed(2)}s, sequential ${r.sequentialSeconds.toFixed(2)}s, ratio ${r.ratio.toFixed(2)}x (goal < 2 s)`;
}

if (require.main === module) {
    benchStatus().then(
        (r) => console.log(formatStatus(r)),
        (e: Error) => {
            console.error(`bench status: ${e.message}`);
            process.exitCode = 1;
        },
    );
}
