import { ociLabels, pinned } from "../release";
import {
    ManifestNotFoundError,
    MissingPlatformError,
    OCI_INDEX,
    OCI_MANIFEST,
    RegistryClient,
    RetagResult,
    sha256Digest,
} from "../registry";
import { gzipLayer, normalizeLayer, readDockerSave } from "./archive";
import { BuildCache, buildKey } from "./cache";
import { hashContext } from "./contextHash";
import { DockerEngine } from "./engine";
import { BuildError } from "./errors";
import { imageIndex, imageManifest, parsePlatform, Platform, platformKey, reproducibleConfig } from "./image";

export interface PublishOptions {
    context: string;
    /** Relative to `context`. Default `Dockerfile`. */
    dockerfile?: string;
    /** Repository without tag or digest. */
    repository: string;
    platforms: string[];
    buildArgs?: Record<string, string>;
    /** Default: the OCI labels for version, gitSha and sourceDateEpoch. */
    labels?: Record<string, string>;
    version: string;
    gitSha: string;
    sourceDateEpoch: number;
    /** The whole tag set; every tag gets the index digest. */
    tags: string[];
    /** Allow moving an immutable X.Y.Z / git- tag. */
    force?: boolean;
    client: RegistryClient;
    engine?: DockerEngine;
    /** Default: a BuildCache in defaultCacheDir(). `false` always builds. */
    cache?: BuildCache | false;
    onProgress?: (line: string) => void;
}

export interface PublishResult {
    digest: string;
    ref: string;
    tags: string[];
    platformDigests: Record<string, string>;
    labels: Record<string, string>;
    contextHash: string;
    /** Blob bytes this run uploaded; 0 when the registry already had every layer. */
    bytesUploaded: number;
    /** False when an unchanged context reused a verified digest: no engine call at all. */
    built: boolean;
    retagged: RetagResult[];
}

interface BuiltPlatform {
    platform: Platform;
    config: Buffer;
    layers: Buffer[];
    manifest: Buffer;
}

async function buildPlatform(
    engine: DockerEngine,
    o: PublishOptions,
    platform: Platform,
    labels: Record<string, string>,
    buildArgs: Record<string, string>,
): Promise<BuiltPlatform> {
    const id = await engine.build({
        context: o.context,
        dockerfile: o.dockerfile ?? "Dockerfile",
        platform: platformKey(platform),
        buildArgs,
    });
    try {
        const saved = await readDockerSave(await engine.save(id));
        const tars = await Promise.all(saved.layers.map((l) => normalizeLayer(l, o.sourceDateEpoch)));
        const config = reproducibleConfig(saved.config, {
            platform,
            epochSeconds: o.sourceDateEpoch,
            labels,
            diffIds: tars.map((t) => sha256Digest(t)),
        });
        const layers = tars.map(gzipLayer);
        return { platform, config, layers, manifest: imageManifest(config, layers) };
    } finally {
        await engine.remove(id);
    }
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
        if (e instanceof ManifestNotFoundError || e instanceof MissingPlatformError) return false;
        throw e;
    }
}

/**
 * Build once, tag many: one engine build per platform, layers and configs pushed by digest (each blob
 * once), per-platform manifests pushed by digest (no arch tags), one OCI index pushed by digest, then
 * the tag set applied by retag, all checked before the first tag is written.
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
    const buildArgs = { ...(o.buildArgs ?? {}), SOURCE_DATE_EPOCH: String(o.sourceDateEpoch) };
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

    let digest: string;
    let platformDigests: Record<string, string>;
    let bytesUploaded = 0;
    let built = false;
    const hit = cache?.get(key);
    if (hit && (await reusable(o.client, o.repository, hit.digest, platformNames))) {
        log(`unchanged context ${contextHash.slice(0, 19)}: reusing ${hit.digest}`);
        ({ digest, platformDigests } = hit);
    } else {
        const engine = o.engine ?? new DockerEngine();
        log(`building ${platformNames.join(", ")} from ${o.context}`);
        const images = await Promise.all(
            platforms.map((p) => buildPlatform(engine, o, p, labels, buildArgs)),
        );
        built = true;
        platformDigests = {};
        for (const img of images) {
            for (const blob of [img.config, ...img.layers]) {
                const r = await o.client.pushBlob(o.repository, blob);
                if (r.uploaded) bytesUploaded += blob.length;
            }
            const d = await o.client.putManifest(
                o.repository,
                sha256Digest(img.manifest),
                img.manifest,
                OCI_MANIFEST,
            );
            platformDigests[platformKey(img.platform)] = d;
        }
        const annotations = Object.fromEntries(
            Object.entries(labels).filter(([k]) => k.startsWith("org.opencontainers.image.")),
        );
        const index = imageIndex(
            images.map((i) => ({ platform: i.platform, manifest: i.manifest })),
            annotations,
        );
        digest = await o.client.putManifest(o.repository, sha256Digest(index), index, OCI_INDEX);
        cache?.put(key, { digest, platformDigests });
        log(`pushed index ${digest}`);
    }
    const retagged = await o.client.applyTags(o.repository, digest, o.tags, { force: o.force });
    return {
        digest,
        ref: pinned(`${o.repository}@${digest}`),
        tags: [...new Set(o.tags)],
        platformDigests,
        labels,
        contextHash,
        bytesUploaded,
        built,
        retagged,
    };
}
