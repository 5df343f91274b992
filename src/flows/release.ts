import * as fs from "fs";
import * as path from "path";
import { BuildError, parsePlatform, PublishResult } from "../builder";
import {
    assertCleanBuildContext,
    Builders,
    releaseBuilders,
    computeTagSet,
    contextCommitInfo,
    DirtyTreeError,
    ociLabels,
    resolveImageSource,
    readVersion,
    ReleaseRecord,
    sourceDateEpoch,
    DEFAULT_PLATFORMS,
    parseReference,
    redactCredentials,
    writeFileAtomic,
} from "../release";
import { copyImage, CopyResult } from "../registry";
import {
    SignedRelease,
    signatureArtifactTags,
    signingKeyFromEnv,
    SigningError,
    SigningKey,
} from "../signing";
import { buildPushSign, BuildPushSignDeps } from "./buildPushSign";
import { CliDeps } from "./context";
import { loadStack, outputsFile } from "./stack";
import { stackFile } from "../stackconfig";
import { Refusal } from "./refusal";
import { notes, ReleaseNotes } from "./notes";

export interface ReleaseOptions {
    repoRoot: string;
    stacksDir: string;
    context?: string;
    repository?: string;
    platforms?: string[];
    version?: string;
    channel?: string;
    /**
     * Move immutable tags (X.Y.Z, git-<sha>) that already point elsewhere. Only for local re-releases:
     * a new commit gives a new `created` label and so a new digest under the same version.
     */
    force?: boolean;
    /**
     * More repositories (any registries) that get the same build: one digest, the same tags, each
     * layer uploaded once per registry (a same-registry mirror mounts instead of uploading).
     */
    mirrors?: string[];
    /** The Dockerfile, relative to the context. Default: `Dockerfile`. */
    dockerfile?: string;
    /**
     * Write the record to `.image-release/outputs/<channel>.json`. Default: true; a set's release writes
     * each image's record into the set's file instead.
     */
    writeRecord?: boolean;
    /**
     * `--builder` flags: platform → BuildKit address, over the stack's `image-release:builders` for the
     * same platform (README "Remote builders"). Every platform without one builds on the local engine.
     */
    builders?: Builders;
    /** The stack's builders when the caller has read the stack; else read from the dev stack file, if any. */
    configuredBuilders?: Builders;
}

/** `publish` defaults to src/builder's publishImage; `onProgress` gets the build's progress lines. */
export interface ReleaseDeps extends CliDeps, BuildPushSignDeps {
    env?: Record<string, string | undefined>;
}

export interface ReleaseResult {
    record: ReleaseRecord;
    built: boolean;
    outputsFile: string;
    notes: ReleaseNotes;
    /** One copy per `--mirror`, in the order given. */
    mirrors: CopyResult[];
    /** With IMAGE_RELEASE_SIGNING_KEY set: the signature and the SBOM and provenance attestations. */
    signed?: SignedRelease;
}

/** Mirrors are checked before anything is built: a typo must not fail after a multi-minute build. */
export function mirrorProblems(repository: string, mirrors: string[]): string[] {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const m of mirrors) {
        let ref;
        try {
            ref = parseReference(m);
        } catch (e) {
            problems.push(
                `--mirror "${redactCredentials(m)}": ${(e as Error).message.replace(/^invalid reference "[^"]*": /, "")}`,
            );
            continue;
        }
        if (ref.tag !== undefined || ref.digest !== undefined) {
            problems.push(`--mirror "${redactCredentials(m)}": must be a repository without a tag or digest`);
        } else if (ref.name === repository) {
            problems.push(`--mirror "${redactCredentials(m)}": is the release repository itself`);
        } else if (seen.has(ref.name)) {
            problems.push(`--mirror "${redactCredentials(m)}": given twice`);
        }
        seen.add(ref.name);
    }
    return problems;
}

export const RELEASE_DEFAULTS = {
    context: "examples/hello",
    repository: "127.0.0.1:5000/image-release/hello",
    platforms: [...DEFAULT_PLATFORMS],
    channel: "dev",
};

/** What `release` settled before building: every check that must not fail after a multi-minute build. */
interface CheckedRelease {
    /** A release builds into dev only. */
    channel: "dev";
    version: string;
    repository: string;
    platforms: string[];
    mirrors: string[];
    context: string;
    key?: SigningKey;
    git: { sha: string; commitTime: number };
    builders: Builders;
}

function checkPlatforms(platforms: string[]): void {
    // Before anything is built: a typo such as linux/s390 would otherwise fail minutes into a build.
    for (const p of platforms) {
        try {
            parsePlatform(p);
        } catch (e) {
            if (e instanceof BuildError) throw new Refusal(e.message);
            throw e;
        }
    }
}

/** The builders this release uses: the dev stack's, each overridden by a `--builder` for its platform. */
function checkBuilders(o: ReleaseOptions, platforms: string[]): Builders {
    const configured =
        o.configuredBuilders ??
        (fs.existsSync(stackFile(o.stacksDir, "dev")) ? (loadStack(o, "dev").builders ?? {}) : {});
    const { builders, problems } = releaseBuilders(configured, o.builders ?? {}, platforms);
    if (problems.length > 0) throw new Refusal(`release refused: ${problems.join("\n")}`);
    return builders;
}

function signingKey(env: Record<string, string | undefined>): SigningKey | undefined {
    // A bad key or password must fail before the build, not after the push.
    try {
        return signingKeyFromEnv(env);
    } catch (e) {
        if (e instanceof SigningError) throw new Refusal(`release refused: ${e.message}`);
        throw e;
    }
}

function checkContext(o: ReleaseOptions): { context: string; git: { sha: string; commitTime: number } } {
    const context = path.resolve(o.repoRoot, o.context ?? RELEASE_DEFAULTS.context);
    if (!fs.existsSync(context) || !fs.statSync(context).isDirectory()) {
        throw new Refusal(`release refused: the build context ${context} is not a directory`);
    }
    const git = contextCommitInfo(context);
    // Before anything is built or pushed: a dirty context would be tagged git-<sha> without being <sha>.
    try {
        assertCleanBuildContext(context, git.sha, "release refused");
    } catch (e) {
        if (e instanceof DirtyTreeError) throw new Refusal(e.message);
        throw e;
    }
    return { context, git };
}

function checkRelease(o: ReleaseOptions, deps: ReleaseDeps): CheckedRelease {
    const channel = o.channel ?? RELEASE_DEFAULTS.channel;
    // A fresh build may only land in dev: retagging :staging/:prod or writing their outputs here would
    // skip the promotion path (review, "ran in the source stack", platform checks).
    if (channel !== "dev") {
        throw new Refusal(
            `release --channel "${channel}" is not allowed: a release builds into "dev" only; staging and prod get a build through \`image-release promote\` (e.g. \`image-release promote --from dev --to staging\`)`,
        );
    }
    const version = o.version ?? readVersion(o.repoRoot);
    const repository = o.repository ?? RELEASE_DEFAULTS.repository;
    const platforms = o.platforms ?? RELEASE_DEFAULTS.platforms;
    checkPlatforms(platforms);
    const mirrors = o.mirrors ?? [];
    const mirrorErrors = mirrorProblems(repository, mirrors);
    if (mirrorErrors.length > 0) throw new Refusal(mirrorErrors.join("\n"));
    const builders = checkBuilders(o, platforms);
    const key = signingKey(deps.env ?? process.env);
    return { channel, version, repository, platforms, mirrors, key, builders, ...checkContext(o) };
}

/**
 * From the registry that now holds the build: same-registry mirrors mount, others stream each blob
 * once. Called before the record is written, so it is written only when every mirror holds the digest
 * and its tags.
 */
async function mirror(c: CheckedRelease, published: PublishResult, deps: ReleaseDeps): Promise<CopyResult[]> {
    const mirrored: CopyResult[] = [];
    for (const to of c.mirrors) {
        mirrored.push(
            await copyImage(deps.client, {
                from: c.repository,
                to,
                digest: published.digest,
                tags: published.tags,
                artifactTags: signatureArtifactTags(published.digest),
                ...(deps.onLayer ? { onLayer: deps.onLayer } : {}),
            }),
        );
        deps.onProgress?.(`mirrored ${published.digest} to ${to}`);
    }
    return mirrored;
}

/** Build once, push one index with the whole tag set, record it where `promote --from dev` looks. */
export async function release(o: ReleaseOptions, deps: ReleaseDeps): Promise<ReleaseResult> {
    const c = checkRelease(o, deps);
    const { version, repository, platforms, channel, git } = c;
    const epoch = sourceDateEpoch(deps.env ?? process.env, git.commitTime);
    const { published, signed } = await buildPushSign(
        {
            context: c.context,
            repository,
            platforms,
            labels: ociLabels({
                version,
                revision: git.sha,
                created: epoch,
                source: resolveImageSource(o.repoRoot),
            }),
            version,
            gitSha: git.sha,
            sourceDateEpoch: epoch,
            ...(o.dockerfile !== undefined ? { dockerfile: o.dockerfile } : {}),
            tags: computeTagSet({ version, gitSha: git.sha, channel }).tags,
            ...(o.force ? { force: true } : {}),
            ...(c.key ? { key: c.key } : {}),
            ...(Object.keys(c.builders).length > 0 ? { builders: c.builders } : {}),
        },
        deps,
    );
    const mirrored = await mirror(c, published, deps);
    const record: ReleaseRecord = {
        repository,
        version,
        digest: published.digest,
        ref: `${repository}@${published.digest}`,
        tags: published.tags,
        platforms,
        platformDigests: published.platformDigests,
        gitSha: git.sha,
        sourceStack: channel,
    };
    const file = outputsFile(o.repoRoot, channel);
    if (o.writeRecord !== false) writeFileAtomic(file, JSON.stringify(record, null, 2) + "\n");
    return {
        record,
        built: published.built,
        outputsFile: path.relative(o.repoRoot, file),
        notes: await notes({ ...o, version, repository }, deps),
        mirrors: mirrored,
        ...(signed ? { signed } : {}),
    };
}
