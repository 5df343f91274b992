import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isImmutableTag, LayerProgress, ociLabels, pinned, supersededFloatingTags } from "../release";
import {
    ImmutableTagError,
    BlobNotFoundError,
    ManifestNotFoundError,
    MissingPlatformError,
    OCI_INDEX,
    OCI_MANIFEST,
    normalizePlatform,
    RegistryClient,
    RetagResult,
    sha256Digest,
} from "../registry";
import { engineBuildArgs } from "./buildArgs";
import { BuildCache, buildKey, BuildMemory, CachedBuild } from "./cache";
import { hashContext } from "./contextHash";
import { remoteEngines } from "./buildkit";
import { DockerEngine, Engine } from "./engine";
import { BuildError } from "./errors";
import { imageIndex, parsePlatform, Platform, platformKey } from "./image";
import { BuiltPlatform, buildPlatform, pushPlatformBlobs } from "./platformBuild";

export interface PublishOptions {
    context: string;
    /** Relative to `context`. Default `Dockerfile`. */
    dockerfile?: string;
    /** Repository without tag or digest. */
    repository: string;
    platforms: string[];
    /** The Dockerfile's own ARGs; the builder adds VERSION, GIT_SHA and SOURCE_DATE_EPOCH (buildArgs.ts). */
    buildArgs?: Record<string, string>;
    /** Default: the OCI labels for version, gitSha and sourceDateEpoch. */
    labels?: Record<string, string>;
    version: string;
    gitSha: string;
    sourceDateEpoch: number;
    /** The whole tag set; every tag gets the index digest (floating ones unless superseded). */
    tags: string[];
    /** Allow moving an immutable X.Y.Z / git- tag. */
    force?: boolean;
    /**
     * Leave X.Y, X and latest where they are when the registry holds a higher release in their scope
     * (releasing an old major must not move `latest`). Default true.
     */
    onlyIfHighest?: boolean;
    client: RegistryClient;
    /** The local engine: every platform without a builder. Default: a DockerEngine. */
    engine?: Engine;
    /**
     * Platform → BuildKit address (`tcp://…`, `unix://…`): those platforms build there (buildkit.ts),
     * the rest on `engine`. Each is asked before the build; one that does not answer refuses the
     * release before anything is pushed. The digests do not depend on it, nor does the build key.
     */
    builders?: Record<string, string>;
    /** Default: a BuildCache in defaultCacheDir(). `false` always builds. */
    cache?: BuildCache | false;
    /** Asked after a local cache miss (the registry's record of builds); none by default. */
    remembered?: BuildMemory;
    onProgress?: (line: string) => void;
    /** Per-layer byte progress while compressing and uploading (see progress.ts). */
    onLayer?: (e: LayerProgress) => void;
}

export interface PublishResult {
    digest: string;
    ref: string;
    /** The tags now pointing at `digest`: the requested set minus `heldBack`. */
    tags: string[];
    /** Floating tags not moved because a higher release owns them. */
    heldBack: string[];
    platformDigests: Record<string, string>;
    labels: Record<string, string>;
    contextHash: string;
    /** Blob bytes this run uploaded; 0 when the registry already had every layer. */
    bytesUploaded: number;
    /** False when an unchanged context reused a verified digest: no engine call at all. */
    built: boolean;
    /** The build key (buildKey in cache.ts): what the registry's record of this build is filed under. */
    buildKey: string;
    retagged: RetagResult[];
}

/** Blob uploads in flight at once: both platforms' layers go up together, each distinct blob once. */
const UPLOAD_CONCURRENCY = 4;

export interface TagSetApplication {
    client: RegistryClient;
    repository: string;
    digest: string;
    version: string;
    tags: string[];
    force?: boolean;
    /** Default true; see PublishOptions.onlyIfHighest. */
    onlyIfHighest?: boolean;
    /** The repository's tags if already listed; listed here otherwise. */
    existingTags?: string[];
}

/** Points the tag set at `digest`, holding back floating tags that a higher release owns. */
export async function applyTagSet(
    o: TagSetApplication,
): Promise<{ tags: string[]; heldBack: string[]; retagged: RetagResult[] }> {
    const requested = [...new Set(o.tags)];
    let heldBack: string[] = [];
    if (o.onlyIfHighest !== false) {
        const existing = o.existingTags ?? (await o.client.listTags(o.repository));
        heldBack = supersededFloatingTags(o.version, existing).filter((t) => requested.includes(t));
    }
    const tags = requested.filter((t) => !heldBack.includes(t));
    const retagged = await o.client.applyTags(o.repository, o.digest, tags, { force: o.force });
    return { tags, heldBack, retagged };
}

/**
 * Refuses before any build when an immutable tag this release would write already names a build of
 * another commit (its revision label says so): a rebuild could never give the same digest.
 */
async function checkImmutableTags(o: PublishOptions, existing: string[]): Promise<void> {
    if (o.force) return;
    for (const tag of o.tags.filter((t) => isImmutableTag(t) && existing.includes(t))) {
        const d = await o.client.describe(`${o.repository}:${tag}`);
        const revision = d.labels["org.opencontainers.image.revision"];
        if (revision !== undefined && revision !== o.gitSha) {
            throw new ImmutableTagError(
                o.repository,
                tag,
                d.digest,
                "",
                `it was built from commit ${revision.slice(0, 12)}, this release is ${o.gitSha.slice(0, 12)}: bump the version`,
            );
        }
    }
}

/**
 * The build the shared memory vouches for, with its platform digests read from the registry (every
 * platform present, or none: it is rebuilt); a record it does not trust is said, and built over.
 */
async function rememberedBuild(
    o: PublishOptions,
    key: string,
    platforms: string[],
    log: (line: string) => void,
): Promise<CachedBuild | undefined> {
    let found;
    try {
        found = await o.remembered?.find(key);
    } catch (e) {
        // The record is only a shortcut: a registry that cannot answer for it costs a build, not the release.
        log(
            `cannot read the registry's record of build ${key.slice(0, 12)} (${(e as Error).message}): building`,
        );
        return undefined;
    }
    if (found === undefined) return undefined;
    if ("refused" in found) {
        log(`not reusing the registry's record of build ${key.slice(0, 12)}: ${found.refused}`);
        return undefined;
    }
    let described;
    try {
        described = await o.client.verify(`${o.repository}@${found.digest}`, platforms);
    } catch (e) {
        if (isGone(e)) return undefined;
        throw e;
    }
    log(`the registry remembers build ${key.slice(0, 12)} as ${found.digest}`);
    const platformDigests = Object.fromEntries(
        platforms.map((name) => [
            name,
            (described.platforms.find((p) => p.platform === normalizePlatform(name)) as { digest: string })
                .digest,
        ]),
    );
    return { digest: found.digest, platformDigests };
}

/** A manifest or blob the registry no longer has, or a platform missing: rebuild, never fail. */
function isGone(e: unknown): boolean {
    return (
        e instanceof ManifestNotFoundError ||
        e instanceof BlobNotFoundError ||
        e instanceof MissingPlatformError
    );
}

/** The cached digest is reused only if the registry still has it with every platform. */
async function reusable(
    client: RegistryClient,
    repository: string,
    digest: string,
    platforms: string[],
): Promise<boolean> {
    try {
        await client.verify(`${repository}@${digest}`, platforms);
        return true;
    } catch (e) {
        // A cached digest whose manifest or config blob was garbage-collected is rebuilt, not reused.
        if (isGone(e)) return false;
        throw e;
    }
}

/** Each platform's manifest by digest, then the index over them with the release's OCI annotations. */
async function pushManifests(
    client: RegistryClient,
    repository: string,
    images: BuiltPlatform[],
    labels: Record<string, string>,
): Promise<{ digest: string; platformDigests: Record<string, string> }> {
    const manifestDigests = await Promise.all(
        images.map((img) =>
            client.putManifest(repository, sha256Digest(img.manifest), img.manifest, OCI_MANIFEST),
        ),
    );
    const platformDigests = Object.fromEntries(
        images.map((img, i) => [platformKey(img.platform), manifestDigests[i]]),
    );
    const annotations = Object.fromEntries(
        Object.entries(labels).filter(([k]) => k.startsWith("org.opencontainers.image.")),
    );
    const index = imageIndex(
        images.map((i) => ({ platform: i.platform, manifest: i.manifest })),
        annotations,
    );
    const digest = await client.putManifest(repository, sha256Digest(index), index, OCI_INDEX);
    return { digest, platformDigests };
}

/**
 * One engine build per platform, streamed into compressed layer files, then every blob, each
 * platform's manifest and the index pushed by digest.
 */
async function buildAndPush(
    o: PublishOptions,
    platforms: Platform[],
    labels: Record<string, string>,
    buildArgs: Record<string, string>,
): Promise<{ digest: string; platformDigests: Record<string, string>; bytesUploaded: number }> {
    const local = o.engine ?? new DockerEngine();
    const remote = await remoteEngines(o.builders ?? {});
    // The compressed layers spill here (archive.ts says why); gone once the release is.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-layers-"));
    try {
        const images = await Promise.all(
            platforms.map((platform) =>
                buildPlatform(remote.get(platformKey(platform)) ?? local, {
                    context: o.context,
                    dockerfile: o.dockerfile ?? "Dockerfile",
                    platform,
                    labels,
                    buildArgs,
                    epochSeconds: o.sourceDateEpoch,
                    dir,
                    onLayer: o.onLayer,
                }),
            ),
        );
        // Every blob before any manifest, every manifest before the index: nothing ever names a blob
        // the registry lacks. A blob the registry already has moves no bytes and counts none.
        const bytesUploaded = await pushPlatformBlobs(
            o.client,
            o.repository,
            images,
            UPLOAD_CONCURRENCY,
            o.onLayer,
        );
        return { ...(await pushManifests(o.client, o.repository, images, labels)), bytesUploaded };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * Build once, tag many: one engine build per platform, layers and configs pushed by digest (each blob
 * once, several at a time), per-platform manifests pushed by digest (no arch tags), one OCI index
 * pushed by digest, then the tag set applied by retag, all checked before the first tag is written.
 */
export async function publishImage(o: PublishOptions): Promise<PublishResult> {
    if (o.platforms.length === 0)
        throw new BuildError("platforms is empty; name at least one, e.g. linux/amd64");
    const platforms = o.platforms.map(parsePlatform);
    const platformNames = platforms.map(platformKey);
    const dupes = platformNames.filter((p, i) => platformNames.indexOf(p) !== i);
    if (dupes.length > 0) throw new BuildError(`platform "${dupes[0]}" is listed twice`);
    const labels =
        o.labels ?? ociLabels({ version: o.version, revision: o.gitSha, created: o.sourceDateEpoch });
    const buildArgs = engineBuildArgs(o);
    const contextHash = hashContext(o.context, o.dockerfile, buildArgs);
    const cache = o.cache === false ? undefined : (o.cache ?? new BuildCache());
    const key = buildKey({
        repository: o.repository,
        contextHash,
        platforms: platformNames,
        labels,
        sourceDateEpoch: o.sourceDateEpoch,
    });
    const log = o.onProgress ?? (() => undefined);
    const existing = await o.client.listTags(o.repository);
    await checkImmutableTags(o, existing);

    let digest: string;
    let platformDigests: Record<string, string>;
    let bytesUploaded = 0;
    let built = false;
    const cached = cache?.get(key);
    const hit =
        cached !== undefined && (await reusable(o.client, o.repository, cached.digest, platformNames))
            ? cached
            : await rememberedBuild(o, key, platformNames, log);
    if (hit !== undefined) {
        log(`unchanged context ${contextHash.slice(0, 19)}: reusing ${hit.digest}`);
        ({ digest, platformDigests } = hit);
        cache?.put(key, hit);
    } else {
        const where = platformNames.map((p) =>
            o.builders?.[p] !== undefined ? `${p} (on BuildKit at ${o.builders[p]})` : p,
        );
        log(`building ${where.join(", ")} from ${o.context}`);
        ({ digest, platformDigests, bytesUploaded } = await buildAndPush(o, platforms, labels, buildArgs));
        built = true;
        cache?.put(key, { digest, platformDigests });
        log(`pushed index ${digest}`);
    }
    const { tags, heldBack, retagged } = await applyTagSet({ ...o, digest, existingTags: existing });
    for (const t of heldBack) log(`not moving ${t}: the registry holds a higher release`);
    return {
        digest,
        ref: pinned(`${o.repository}@${digest}`),
        tags,
        heldBack,
        platformDigests,
        labels,
        contextHash,
        bytesUploaded,
        built,
        buildKey: key,
        retagged,
    };
}
