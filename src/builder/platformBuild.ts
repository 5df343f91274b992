import { BlobTooLargeError, eachLimited, RegistryClient, sha256Digest } from "../registry";
import { LayerBlob } from "./archive";
import { Engine, ImageExport } from "./engine";
import { BuildError } from "./errors";
import { readEngineExport } from "./engineExport";
import { imageManifest, Platform, platformKey, reproducibleConfig } from "./image";
import type { LayerProgress } from "../release";

/*
 * One platform from the engine to blobs ready to push: the engine's export streamed through the
 * normaliser and the block compressor into compressed layer files (engineExport.ts, archive.ts), the
 * reproducible config and the manifest in memory (they are small).
 */

export interface BuiltPlatform {
    platform: Platform;
    config: Buffer;
    layers: LayerBlob[];
    manifest: Buffer;
}

export interface PlatformBuild {
    context: string;
    dockerfile: string;
    platform: Platform;
    labels: Record<string, string>;
    buildArgs: Record<string, string>;
    epochSeconds: number;
    /** The release's temporary directory: each platform's layers go under it. */
    dir: string;
    onLayer?: (e: LayerProgress) => void;
}

/**
 * Why an export could not be read: the builder's own failure when it has one (a BuildKit build that
 * failed writes no tarball, and its log says why), else the reader's. A builder still running after
 * the reader gave up is stopped.
 */
async function exportFailure(exported: ImageExport, readError: unknown): Promise<unknown> {
    const settled = await Promise.race([
        exported.done.then(
            () => undefined,
            (e: unknown) => e,
        ),
        new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 2000).unref()),
    ]);
    if (settled === "running") {
        exported.stop();
        await exported.done.catch(() => undefined);
        return readError;
    }
    return settled instanceof BuildError ? settled : readError;
}

export async function buildPlatform(engine: Engine, b: PlatformBuild): Promise<BuiltPlatform> {
    const name = platformKey(b.platform);
    const exported = await engine.buildExport({
        context: b.context,
        dockerfile: b.dockerfile,
        platform: name,
        buildArgs: b.buildArgs,
    });
    let saved;
    try {
        saved = await readEngineExport(exported.stream, {
            epochSeconds: b.epochSeconds,
            dir: `${b.dir}/${name.replace(/\//g, "-")}`,
            onLayerBytes: (entry, bytes) =>
                b.onLayer?.({
                    platform: name,
                    layer: entry,
                    source: entry,
                    phase: "compress",
                    bytes,
                    done: false,
                }),
            onLayerWritten: (entry, l, seconds) =>
                b.onLayer?.({
                    platform: name,
                    layer: l.digest,
                    source: entry,
                    phase: "compress",
                    bytes: l.tarSize,
                    total: l.size,
                    done: true,
                    seconds,
                }),
        });
    } catch (e) {
        throw await exportFailure(exported, e);
    }
    await exported.done;
    const config = reproducibleConfig(saved.config, {
        platform: b.platform,
        epochSeconds: b.epochSeconds,
        labels: b.labels,
        diffIds: saved.layers.map((l) => l.diffId),
    });
    return {
        platform: b.platform,
        config,
        layers: saved.layers,
        manifest: imageManifest(config, saved.layers),
    };
}

/** Each platform's config and layers by digest, a blob two platforms share once. */
function distinctBlobs(images: BuiltPlatform[]): (Buffer | LayerBlob)[] {
    const byDigest = new Map<string, Buffer | LayerBlob>();
    for (const img of images) {
        byDigest.set(sha256Digest(img.config), img.config);
        for (const l of img.layers) if (!byDigest.has(l.digest)) byDigest.set(l.digest, l);
    }
    return [...byDigest.values()];
}

/**
 * Pushes every blob of the built platforms, `concurrency` at a time, each distinct blob once; a blob
 * the registry already has moves no bytes. Returns the bytes uploaded.
 */
export async function pushPlatformBlobs(
    client: RegistryClient,
    repository: string,
    images: BuiltPlatform[],
    concurrency: number,
    onLayer?: (e: LayerProgress) => void,
): Promise<number> {
    let uploaded = 0;
    await eachLimited(distinctBlobs(images), concurrency, async (blob) => {
        try {
            // Not `uploaded += await …`: that reads `uploaded` before the await, losing concurrent sums.
            const sent = await pushOne(client, repository, blob, onLayer);
            uploaded += sent;
        } catch (e) {
            if (e instanceof BlobTooLargeError) throw e.ofPlatforms(platformsOf(images, e.digest));
            throw e;
        }
    });
    return uploaded;
}

/** The platforms whose image holds `digest`, as a layer or as its config. */
function platformsOf(images: BuiltPlatform[], digest: string): string[] {
    return images
        .filter((i) => sha256Digest(i.config) === digest || i.layers.some((l) => l.digest === digest))
        .map((i) => platformKey(i.platform));
}

/** One blob pushed, its upload reported per layer; returns the bytes uploaded (0 when the registry had it). */
async function pushOne(
    client: RegistryClient,
    repository: string,
    blob: Buffer | LayerBlob,
    onLayer?: (e: LayerProgress) => void,
): Promise<number> {
    if (Buffer.isBuffer(blob)) {
        return (await client.pushBlob(repository, blob)).uploaded ? blob.length : 0;
    }
    const started = Date.now();
    const report = (bytes: number, done: boolean, skipped?: "exists") =>
        onLayer?.({
            platform: "",
            layer: blob.digest,
            phase: "upload",
            bytes,
            total: blob.size,
            done,
            ...(done ? { seconds: (Date.now() - started) / 1000 } : {}),
            ...(skipped ? { skipped } : {}),
        });
    const r = await client.pushBlobFile(repository, blob, (sent) => report(sent, false));
    report(blob.size, true, r.uploaded ? undefined : "exists");
    return r.uploaded ? blob.size : 0;
}
