import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { status } from "../src/cli";
import { OCI_INDEX, RegistryClient, sha256Digest } from "../src/registry";

const SERVICES = 50;
const STACKS = ["dev", "staging", "prod"];

/**
 * 50 services x 3 stacks as 150 stack files (`svc<i>-<env>`) in one stacks dir, one repository and
 * one tiny index per service: an empty index is enough for the HEAD requests status makes.
 */
async function setup(client: RegistryClient): Promise<string> {
    const run = randomBytes(4).toString("hex");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-"));
    await Promise.all(
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
        }),
    );
    return dir;
}

async function time(client: RegistryClient, dir: string, concurrency: number): Promise<number> {
    const start = process.hrtime.bigint();
    const rows = await status({ stacksDir: dir, repoRoot: dir, concurrency }, { client });
    const failed = rows.filter((r) => r.error);
    if (failed.length > 0) throw new Error(`${failed.length} stacks failed: ${failed[0].error}`);
    return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function benchStatus(): Promise<string> {
    const client = new RegistryClient({ retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 200 } });
    const dir = await setup(client);
    await time(client, dir, 16); // warm the connection pool so neither run pays for it
    const parallel = await time(client, dir, 16);
    const sequential = await time(client, dir, 1);
    fs.rmSync(dir, { recursive: true, force: true });
    return `status ${SERVICES}x${STACKS.length}: parallel ${parallel.toFixed(2)}s, sequential ${sequential.toFixed(2)}s, ratio ${(sequential / parallel).toFixed(2)}x (goal < 2 s)`;
}

if (require.main === module) {
    benchStatus().then(
        (line) => console.log(line),
        (e: Error) => {
            console.error(`bench status: ${e.message}`);
            process.exitCode = 1;
        },
    );
}
