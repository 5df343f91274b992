import * as path from "path";
import { Builders, buildVersion, GitError, gitObjectIds, ReleaseRecord, writeFileAtomic } from "../release";
import { PinnedImage, StackImageConfig } from "../stackconfig";
import { release, ReleaseDeps, ReleaseResult } from "./release";
import { UsageRefusal } from "./refusal";
import { loadStack, readSetOutputs, setOutputsFile } from "./stack";

export interface ReleaseSetOptions {
    repoRoot: string;
    stacksDir: string;
    /** The stack whose set is released: it builds (each image has `build`). */
    stack: string;
    /** Release this image alone, changed or not. Default: every image whose build context changed. */
    image?: string;
    force?: boolean;
    /**
     * `--builder` flags, over the stack's `image-release:builders`: each image builds each of its
     * platforms that has one there.
     */
    builders?: Builders;
}

/** One image of the set: released now, or left as its record says. */
export interface SetImageRelease {
    name: string;
    /** Released by this run (its record is new). */
    released: boolean;
    /** Why it was left alone, when it was. */
    unchanged?: string;
    record?: ReleaseRecord;
    /** The build result when released (false: the registry already held this build). */
    built?: boolean;
}

export interface ReleaseSetResult {
    stack: string;
    images: SetImageRelease[];
    /** Where each image's record is kept: `.image-release/outputs/<stack>.releases.json`. */
    outputsFile: string;
}

/** The set's images that build, checked before anything is built. */
function buildingImages(cfg: StackImageConfig, o: ReleaseSetOptions): [string, PinnedImage][] {
    const building = Object.entries(cfg.images)
        .filter(([, i]) => i.build !== undefined)
        .sort(([a], [b]) => a.localeCompare(b));
    if (cfg.form !== "set" || building.length === 0) {
        throw new UsageRefusal(
            `stack "${o.stack}" has no set of images that build (image-release:images.<name>.build in ${cfg.file}); release one context with --context and --repository`,
        );
    }
    if (o.image === undefined) return building;
    const one = building.filter(([name]) => name === o.image);
    if (one.length === 0) {
        throw new UsageRefusal(
            `--image "${o.image}": not an image that stack "${o.stack}" builds (it builds: ${building.map(([n]) => n).join(", ")})`,
        );
    }
    return one;
}

/**
 * The members left as their records say: those whose build context holds at HEAD the very content
 * git holds for it at the record's commit, in the record's repository. The same content builds the
 * same image, which the record already names (a change that was reverted builds nothing). Judged for
 * the whole set by one `git cat-file`, not a `git log` per member; anything git cannot answer (a
 * record's commit this clone lacks, no repository) counts as changed, and release() says what is wrong.
 */
function unchangedMembers(
    repoRoot: string,
    images: [string, PinnedImage][],
    recorded: Record<string, ReleaseRecord>,
): Set<string> {
    const asked: { name: string; context: string; since: string }[] = [];
    for (const [name, image] of images) {
        const was = recorded[name];
        if (was === undefined || was.repository !== image.repository) continue;
        const context = path.relative(repoRoot, path.resolve(repoRoot, image.build!.context));
        asked.push({ name, context: `./${context.split(path.sep).join("/")}`, since: was.gitSha });
    }
    const specs = asked.flatMap((a) => [`HEAD:${a.context}`, `${a.since}:${a.context}`]);
    let ids: (string | undefined)[];
    try {
        ids = gitObjectIds(repoRoot, specs);
    } catch (e) {
        if (e instanceof GitError) return new Set();
        throw e;
    }
    const same = (i: number): boolean => ids[2 * i] !== undefined && ids[2 * i] === ids[2 * i + 1];
    return new Set(asked.filter((_, i) => same(i)).map((a) => a.name));
}

/**
 * Releases a set: each image whose build context changed since its recorded release (see
 * unchangedMembers), or `--image` alone, each built once and pushed with its tag set, in name order.
 * Every record goes into the set's outputs file, which is written once, after the last image; an image
 * that fails stops the run, and the images already pushed are reported by the error.
 */
export async function releaseSet(o: ReleaseSetOptions, deps: ReleaseDeps): Promise<ReleaseSetResult> {
    const cfg = loadStack(o, o.stack);
    const images = buildingImages(cfg, o);
    const recorded = readSetOutputs(o.repoRoot, o.stack) ?? {};
    const results: SetImageRelease[] = [];
    const records: Record<string, ReleaseRecord> = { ...recorded };
    const unchanged = o.image === undefined ? unchangedMembers(o.repoRoot, images, recorded) : new Set();
    for (const [name, image] of images) {
        const build = image.build as { context: string; dockerfile: string };
        const context = path.resolve(o.repoRoot, build.context);
        const was = recorded[name];
        if (unchanged.has(name)) {
            const why = `context unchanged since ${was.gitSha.slice(0, 7)}`;
            results.push({ name, released: false, unchanged: why, record: was });
            continue;
        }
        let r: ReleaseResult;
        try {
            r = await release(
                {
                    repoRoot: o.repoRoot,
                    stacksDir: o.stacksDir,
                    context: build.context,
                    dockerfile: build.dockerfile,
                    repository: image.repository,
                    platforms: image.platforms,
                    version: buildVersion(image.version, context, o.repoRoot),
                    channel: "dev",
                    force: o.force === true,
                    writeRecord: false,
                    configuredBuilders: { ...cfg.builders, ...o.builders },
                },
                deps,
            );
        } catch (e) {
            // What was pushed is recorded, so a rerun does not build it again.
            const done = results.filter((x) => x.released).map((x) => x.name);
            if (done.length > 0) {
                writeSetOutputs(o, records);
                if (e instanceof Error) e.message += ` (already released: ${done.join(", ")})`;
            }
            throw e;
        }
        records[name] = r.record;
        results.push({ name, released: true, record: r.record, built: r.built });
    }
    if (results.some((x) => x.released)) writeSetOutputs(o, records);
    return {
        stack: o.stack,
        images: results,
        outputsFile: path.relative(o.repoRoot, setOutputsFile(o.repoRoot, o.stack)),
    };
}

function writeSetOutputs(o: ReleaseSetOptions, records: Record<string, ReleaseRecord>): void {
    const sorted = Object.fromEntries(
        Object.keys(records)
            .sort()
            .map((n) => [n, records[n]]),
    );
    writeFileAtomic(setOutputsFile(o.repoRoot, o.stack), JSON.stringify(sorted, null, 2) + "\n");
}
