import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BuildCache, DockerEngine, EngineBuild, publishImage, PublishResult } from "../src/builder";
import { RegistryClient } from "../src/registry";
import { computeTagSet } from "../src/release";
import { log, timed } from "./measure";

/** Counts engine builds, the figure that proves an unchanged context is not rebuilt. */
export class CountingEngine extends DockerEngine {
    builds = 0;

    override async build(b: EngineBuild): Promise<string> {
        this.builds++;
        return super.build(b);
    }
}

export interface ReleaseBenchResult {
    singleRepo: string;
    multiRepo: string;
    singleTags: string[];
    multiTags: string[];
    singleBytes: number;
    multiBytes: number;
    bytesRatio: number;
    firstSeconds: number;
    firstBuilds: number;
    secondSeconds: number;
    secondBuilds: number;
    secondBuilt: boolean;
    secondDigestSame: boolean;
    timeRatio: number;
    /** The 4-tag release, which the promotion bench then retags. */
    release: PublishResult;
}

const VERSION = "1.0.0";
const GIT_SHA = "0123abc4567def890123abc4567def890123abc4";
const SOURCE_DATE_EPOCH = 1_700_000_000;

export async function benchRelease(
    client: RegistryClient,
    context: string,
    repoPrefix: string,
    tmpDirs: string[],
): Promise<ReleaseBenchResult> {
    const cacheDir = (): string => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-cache-"));
        tmpDirs.push(d);
        return d;
    };
    const publish = (repository: string, tags: string[], cache: BuildCache, engine: DockerEngine) =>
        publishImage({
            context,
            repository,
            platforms: ["linux/amd64", "linux/arm64"],
            version: VERSION,
            gitSha: GIT_SHA,
            sourceDateEpoch: SOURCE_DATE_EPOCH,
            tags,
            client,
            engine,
            cache,
        });

    const singleRepo = `${repoPrefix}-single`;
    const multiRepo = `${repoPrefix}-release`;
    const singleTags = [VERSION];
    // X.Y.Z, X.Y, X, git-sha: the tag set src/release computes for a release without a channel.
    const multiTags = computeTagSet({ version: VERSION, gitSha: GIT_SHA }).tags;

    // The single-tag push runs first so it, not the measured first release, pays for a cold BuildKit cache.
    log(`single-tag push to ${singleRepo} (${singleTags.join(", ")})`);
    const single = await publish(singleRepo, singleTags, new BuildCache(cacheDir()), new CountingEngine());

    const multiCache = new BuildCache(cacheDir());
    const firstEngine = new CountingEngine();
    log(`first release to ${multiRepo} (${multiTags.join(", ")})`);
    const first = await timed(() => publish(multiRepo, multiTags, multiCache, firstEngine));

    const secondEngine = new CountingEngine();
    log("second release, unchanged context");
    const second = await timed(() => publish(multiRepo, multiTags, multiCache, secondEngine));

    return {
        singleRepo,
        multiRepo,
        singleTags,
        multiTags,
        singleBytes: single.bytesUploaded,
        multiBytes: first.value.bytesUploaded,
        bytesRatio: first.value.bytesUploaded / single.bytesUploaded,
        firstSeconds: first.seconds,
        firstBuilds: firstEngine.builds,
        secondSeconds: second.seconds,
        secondBuilds: secondEngine.builds,
        secondBuilt: second.value.built,
        secondDigestSame: second.value.digest === first.value.digest,
        timeRatio: second.seconds / first.seconds,
        release: first.value,
    };
}
