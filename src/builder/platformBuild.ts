import { eachLimited, RegistryClient, sha256Digest } from "../registry";
import { LayerBlob } from "./archive";
import { DockerEngine } from "./engine";
import { readEngineExport } from "./engineExport";
import { imageManifest, Platform, platformKey, reproducibleConfig } from "./image";
import { LayerProgress } from "./progress";

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

export async function buildPlatform(engine: DockerEngine, b: PlatformBuild): Promise<BuiltPlatform> {
    const name = platformKey(b.platform);
    const id = await engine.build({
        context: b.context,
        dockerfile: b.dockerfile,
        platform: name,
        buildArgs: b.buildArgs,
    });
    try {
        const exported = engine.exportStream(id);
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
            exported.stop();
            await exported.done.catch(() => undefined);
            throw e;
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
    } finally {
        await engine.remove(id);
    }
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
        if (Buffer.isBuffer(blob)) {
            if ((await client.pushBlob(repository, blob)).uploaded) uploaded += blob.length;
            return;
        }
        const started = Date.now();
        const report = (bytes: number, done: boolean, skipped?: boolean) =>
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
        if (r.uploaded) uploaded += blob.size;
        report(blob.size, true, !r.uploaded);
    });
    return uploaded;
}
