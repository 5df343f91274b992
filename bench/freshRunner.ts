import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BuildCache, publishImage } from "../src/builder";
import { buildPushSign } from "../src/flows";
import { RegistryClient } from "../src/registry";
import { deleteRepoManifests, Figure, throwawayKey, timed } from "./measure";
import { ARCHES, writeContext } from "./payload";
import { CountingEngine } from "./release";

export interface FreshRunnerResult {
    firstSeconds: number;
    secondSeconds: number;
    firstBuilds: number;
    secondBuilds: number;
    sameDigest: boolean;
    ratio: number;
}

/**
 * 10: two CI runners release the same commit into one repository, each with its own empty build cache
 * (a fresh clone on a fresh machine): the first builds, signs and files the build record; the second
 * finds it in the registry, checks its signature and provenance, and builds nothing. Both sign (the
 * second re-signs the reused digest), as a release with a key does. The context is this run's own
 * (2 x 50 MiB, random), so the first run really uploads every layer.
 */
export async function benchFreshRunner(client: RegistryClient): Promise<FreshRunnerResult> {
    const run = randomBytes(4).toString("hex");
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-fresh-"));
    fs.mkdirSync(path.join(tmp, "context"));
    const context = writeContext(path.join(tmp, "context"), run);
    const repository = `127.0.0.1:5000/bench/fresh-runner-${run}`;
    const key = throwawayKey();
    const runner = async (name: string) => {
        const engine = new CountingEngine();
        const cache = new BuildCache(path.join(tmp, `cache-${name}`));
        const t = await timed(() =>
            buildPushSign(
                {
                    context,
                    repository,
                    platforms: ARCHES.map((a) => `linux/${a}`),
                    version: "1.0.0",
                    gitSha: "0123abc4567def890123abc4567def890123abc4",
                    sourceDateEpoch: 1_700_000_000,
                    tags: ["1.0.0", "1.0", "1", "git-0123abc"],
                    key,
                },
                { client, publish: (o) => publishImage({ ...o, engine, cache }) },
            ),
        );
        return { seconds: t.seconds, builds: engine.builds, digest: t.value.published.digest };
    };
    try {
        const first = await runner("first");
        const second = await runner("second");
        return {
            firstSeconds: first.seconds,
            secondSeconds: second.seconds,
            firstBuilds: first.builds,
            secondBuilds: second.builds,
            sameDigest: first.digest === second.digest,
            ratio: second.seconds / first.seconds,
        };
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
        await deleteRepoManifests(client, repository);
    }
}

/** 10a-b: builds on the fresh runner (must be 0) and its time against the first build's. */
export function freshRunnerFigures(r: FreshRunnerResult): Figure[] {
    const detail =
        `first runner ${r.firstSeconds.toFixed(2)} s (${r.firstBuilds} engine builds, ~100 MB pushed, signed), ` +
        `second ${r.secondSeconds.toFixed(2)} s (${r.secondBuilds} builds; record, signature and provenance ` +
        `checked, every platform verified, re-signed); same digest: ${r.sameDigest}`;
    return [
        {
            id: "freshRunner.builds",
            name: "10a fresh runner, unchanged context: engine builds",
            value: r.secondBuilds,
            display: `${r.secondBuilds} builds`,
            goal: "0",
            pass: r.secondBuilds === 0 && r.sameDigest,
            detail,
        },
        {
            id: "freshRunner.timeRatio",
            name: "10b fresh runner / first build, wall time",
            value: r.ratio,
            display: `${r.ratio.toFixed(3)}x`,
            goal: "<= 0.2x",
            pass: r.ratio <= 0.2,
            detail,
        },
    ];
}
