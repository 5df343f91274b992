import { randomBytes } from "crypto";
import { MANIFEST_ACCEPT, RegistryClient, registryBaseUrl } from "../src/registry";
import { DEFAULT_DOCKER } from "../src/builder";
import { log, median, runCommand, timed } from "./measure";

export interface PromoteBenchResult {
    repo: string;
    digest: string;
    runs: { retag: number; bare: number; docker: number };
    retagSeconds: number[];
    bareSeconds: number[];
    dockerSeconds: number[];
    retagMedian: number;
    bareMedian: number;
    dockerMedian: number;
    /** docker pull/tag/push time over retag time. */
    speedup: number;
    /** retag time over bare GET+PUT time. */
    overBare: number;
    /** Every docker pull downloaded its layers (none reported "Already exists"). */
    dockerTransferred: boolean;
    dockerPlatform: string;
}

/** The two requests a retag cannot avoid, with no client machinery around them. */
async function bareGetPut(repo: string, digest: string, tag: string): Promise<void> {
    const slash = repo.indexOf("/");
    const base = `${registryBaseUrl(repo.slice(0, slash))}/v2/${repo.slice(slash + 1)}/manifests`;
    const got = await fetch(`${base}/${digest}`, { headers: { Accept: MANIFEST_ACCEPT } });
    if (got.status !== 200) throw new Error(`bare GET ${digest}: ${got.status}`);
    const bytes = Buffer.from(await got.arrayBuffer());
    const put = await fetch(`${base}/${tag}`, {
        method: "PUT",
        headers: { "Content-Type": got.headers.get("content-type") ?? "" },
        body: bytes,
    });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`bare PUT ${tag}: ${put.status}`);
    if (put.headers.get("docker-content-digest") !== digest)
        throw new Error(`bare PUT ${tag} changed digest`);
}

async function localImageId(ref: string): Promise<string | undefined> {
    const r = await runCommand(DEFAULT_DOCKER, ["image", "inspect", "--format", "{{.Id}}", ref], true);
    return r.code === 0 ? r.stdout.trim() : undefined;
}

/** Removes the pulled image with all its names, so the next pull has to download the layers again. */
export async function removeLocal(refs: string[]): Promise<void> {
    for (const ref of refs) {
        const id = await localImageId(ref);
        if (id) await runCommand(DEFAULT_DOCKER, ["image", "rm", "--force", id], true);
    }
}

export async function benchPromote(
    client: RegistryClient,
    repo: string,
    digest: string,
    runs = { retag: 25, bare: 25, docker: 5 },
): Promise<PromoteBenchResult> {
    const pinnedRef = `${repo}@${digest}`;
    // Fresh tags every call: a retag to a tag that already has the digest returns after one HEAD.
    const run = randomBytes(3).toString("hex");
    // One untimed round of each warms the connection pool and the registry's caches for both.
    await client.retag(repo, digest, `warm-retag-${run}`);
    await bareGetPut(repo, digest, `warm-bare-${run}`);

    // Interleaved, so a noisy moment (registry flushing the layers just pushed, a GC) hits both alike.
    const retagSeconds: number[] = [];
    const bareSeconds: number[] = [];
    for (let i = 0; i < Math.max(runs.retag, runs.bare); i++) {
        if (i < runs.retag) {
            const r = await timed(() => client.retag(repo, digest, `promoted-retag-${run}-${i}`));
            if (r.value.digest !== digest) throw new Error(`retag moved the digest to ${r.value.digest}`);
            retagSeconds.push(r.seconds);
        }
        if (i < runs.bare)
            bareSeconds.push((await timed(() => bareGetPut(repo, digest, `bare-${run}-${i}`))).seconds);
    }
    log(`retag median ${median(retagSeconds).toFixed(4)} s, bare median ${median(bareSeconds).toFixed(4)} s`);

    const dockerSeconds: number[] = [];
    let dockerTransferred = true;
    let dockerPlatform = "";
    for (let i = 0; i < runs.docker; i++) {
        const tagged = `${repo}:promoted-docker-${run}-${i}`;
        await removeLocal([pinnedRef, tagged]);
        if (await localImageId(pinnedRef)) throw new Error(`${pinnedRef} is still present locally`);
        const r = await timed(async () => {
            const pull = await runCommand(DEFAULT_DOCKER, ["pull", pinnedRef]);
            await runCommand(DEFAULT_DOCKER, ["tag", pinnedRef, tagged]);
            await runCommand(DEFAULT_DOCKER, ["push", tagged]);
            return pull.stdout;
        });
        if (/Already exists/.test(r.value) || !/Pull complete/.test(r.value)) dockerTransferred = false;
        dockerSeconds.push(r.seconds);
        log(`docker pull/tag/push run ${i + 1}: ${r.seconds.toFixed(2)} s`);
        if (i === 0) {
            const p = await runCommand(DEFAULT_DOCKER, [
                "image",
                "inspect",
                "--format",
                "{{.Os}}/{{.Architecture}}",
                pinnedRef,
            ]);
            dockerPlatform = p.stdout.trim();
        }
        await removeLocal([pinnedRef, tagged]);
    }

    const retagMedian = median(retagSeconds);
    const bareMedian = median(bareSeconds);
    const dockerMedian = median(dockerSeconds);
    return {
        repo,
        digest,
        runs,
        retagSeconds,
        bareSeconds,
        dockerSeconds,
        retagMedian,
        bareMedian,
        dockerMedian,
        speedup: dockerMedian / retagMedian,
        overBare: retagMedian / bareMedian,
        dockerTransferred,
        dockerPlatform,
    };
}
