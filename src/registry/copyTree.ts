import type { RegistryClient } from "./client";
import type { LayerProgress } from "../release";
import { configDescriptor, imageBlobs, indexChildren, isIndex } from "./descriptors";
import { requireContentDigest } from "./endpoints";
import { eachLimited, limiter } from "./limit";
import type { Descriptor } from "./mediatypes";

/** What a copy moved, counted as it goes; copyImage reports it. */
export interface CopyCounts {
    blobs: { mounted: number; copied: number; present: number };
    manifests: { copied: number; present: number };
    bytesCopied: number;
}

export interface TreeCopyOptions {
    /** Same-registry blobs arrive by cross-repository mount. */
    mount: boolean;
    /** Blob transfers in flight at once, across every manifest of the tree. */
    concurrency: number;
    /** Hears each layer of a manifest copied with `progress`: its bytes as they stream, or how it arrived without them. */
    onLayer?: (e: LayerProgress) => void;
}

/** One blob's transfer as progress events: bytes while it streams, then once done. */
function layerEvents(
    d: Descriptor,
    onLayer: ((e: LayerProgress) => void) | undefined,
): { bytes: (sent: number) => void; done: (bytes: number, skipped?: LayerProgress["skipped"]) => void } {
    const started = Date.now();
    const event = (bytes: number, done: boolean): LayerProgress => ({
        platform: "",
        layer: d.digest,
        phase: "copy",
        bytes,
        total: d.size,
        done,
    });
    return {
        bytes: (sent) => onLayer?.(event(sent, false)),
        done: (bytes, skipped) =>
            onLayer?.({
                ...event(bytes, true),
                seconds: (Date.now() - started) / 1000,
                ...(skipped ? { skipped } : {}),
            }),
    };
}

/**
 * Copies manifests with everything under them from one repository to another, children before
 * parents and blobs before the manifest that names them, so no manifest ever lands in the target
 * before what it references. One instance per copy: its blob budget and its record of blobs already
 * sent span every manifest it copies (the image's platforms and the artifacts beside it).
 */
export class TreeCopy {
    private readonly blobsDone = new Map<string, Promise<void>>();
    private readonly inFlight: <T>(fn: () => Promise<T>) => Promise<T>;
    private failed: Error | undefined;

    constructor(
        private readonly client: RegistryClient,
        private readonly from: string,
        private readonly to: string,
        private readonly options: TreeCopyOptions,
        private readonly counts: CopyCounts,
    ) {
        // One budget for every platform's blobs, so `concurrency` bounds the transfers, not each level.
        this.inFlight = limiter(Math.max(1, options.concurrency));
    }

    /**
     * Copies the tree under `digest` and then the manifest itself: under `reference` (the image's
     * digest, or an artifact's tag) when given, else by digest unless the target already has it.
     * With `progress`, the layers under it (not configs) are reported to `onLayer`: the image's, and
     * not the small artifacts beside it.
     */
    async copyManifest(digest: string, reference?: string, o: { progress?: boolean } = {}): Promise<void> {
        // Decoding already refused any descriptor that is not a digest; this holds whoever calls.
        requireContentDigest(digest);
        // Whether the target has it and what the source holds, in one round trip; what the source
        // says does not matter when the target already has it.
        const [there, got] = await Promise.allSettled([
            reference === undefined ? this.client.headManifest(this.to, digest) : undefined,
            this.client.getManifest(this.from, digest),
        ]);
        if (there.status === "rejected") throw there.reason;
        if (there.value !== undefined) {
            this.counts.manifests.present++;
            return;
        }
        if (got.status === "rejected") throw got.reason;
        const m = got.value;
        if (isIndex(m)) {
            // Each child once, however often the index lists it.
            const children = indexChildren(m).map((c) => c.digest);
            await eachLimited(children, this.options.concurrency, (c) => this.copyManifest(c, undefined, o));
        } else {
            const config = configDescriptor(m)?.digest;
            const report = o.progress === true;
            await eachLimited(imageBlobs(m), this.options.concurrency, (b) =>
                this.copyBlob(b, report && b.digest !== config),
            );
        }
        await this.client.putManifest(this.to, reference ?? digest, m.bytes, m.mediaType);
        this.counts.manifests.copied++;
    }

    private copyBlob(d: Descriptor, report: boolean): Promise<void> {
        // Platforms often share a blob (a common base layer): one transfer, every manifest waits on it.
        let p = this.blobsDone.get(d.digest);
        if (p === undefined) {
            // Once one transfer failed the copy is lost: the ones still waiting do not start.
            p = this.inFlight(async () => {
                if (this.failed !== undefined) throw this.failed;
                try {
                    await this.transferBlob(d, layerEvents(d, report ? this.options.onLayer : undefined));
                } catch (e) {
                    this.failed ??= e as Error;
                    throw e;
                }
            });
            this.blobsDone.set(d.digest, p);
        }
        return p;
    }

    private async transferBlob(d: Descriptor, events: ReturnType<typeof layerEvents>): Promise<void> {
        if (await this.client.hasBlob(this.to, d.digest)) {
            this.counts.blobs.present++;
            events.done(d.size, "exists");
            return;
        }
        let session: string | undefined;
        if (this.options.mount) {
            const m = await this.client.mountBlob(this.to, d.digest, this.from);
            if (m.mounted) {
                this.counts.blobs.mounted++;
                events.done(d.size, "mounted");
                return;
            }
            session = m.uploadUrl;
        }
        // Read after the await: several transfers finish concurrently, each adds its own bytes.
        const bytes = await this.client.copyBlob(this.from, this.to, d, session, events.bytes);
        this.counts.bytesCopied += bytes;
        this.counts.blobs.copied++;
        events.done(bytes);
    }
}
