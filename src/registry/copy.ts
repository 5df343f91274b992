import { isDigest, isImmutableTag, parseReference } from "../release";
import type { RegistryClient, RetagResult } from "./client";
import { ImmutableTagError, RegistryError, RegistryProtocolError } from "./errors";
import { Descriptor, Manifest, isIndexMediaType } from "./mediatypes";

export interface CopyOptions {
    /** The repository that holds the digest, without tag or digest. */
    from: string;
    /** The repository to copy into, on the same registry or another one. */
    to: string;
    /** The index (or single manifest) digest to copy. */
    digest: string;
    /**
     * Tags to point at the digest in `to` once the whole image is there. Immutable ones (X.Y.Z,
     * `git-`) are checked in `to` before anything is sent.
     */
    tags?: string[];
    /** Blob transfers in flight at once. Default 4. */
    concurrency?: number;
    /** Same-registry blobs by cross-repository mount. Default true; false forces a full copy. */
    mount?: boolean;
    /** Only the reads and checks (a dry run): is it there, would a tag refuse it. Nothing is written. */
    checkOnly?: boolean;
}

export interface CopyResult {
    digest: string;
    from: string;
    to: string;
    /** The target already had the index: nothing was sent. */
    alreadyPresent: boolean;
    blobs: { mounted: number; copied: number; present: number };
    manifests: { copied: number; present: number };
    /** Blob bytes streamed into the target (mounted blobs move none). */
    bytesCopied: number;
    tags: RetagResult[];
}

/** Layers a registry must not redistribute (Windows base layers) are fetched from their URLs instead. */
const FOREIGN_LAYER = /\.foreign\./;

/** Runs `fn` over `items` with at most `limit` in flight; the first failure is thrown after all settle. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const errors: unknown[] = [];
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const item = items[next++];
            try {
                await fn(item);
            } catch (e) {
                errors.push(e);
                next = items.length;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
    if (errors.length > 0) throw errors[0];
}

function repository(name: string, what: string): { registry: string; name: string } {
    const r = parseReference(name);
    if (r.tag !== undefined || r.digest !== undefined) {
        throw new RegistryError(`copy ${what} "${name}" must be a repository without a tag or digest`);
    }
    return { registry: r.registry, name: r.name };
}

/**
 * Copies an image by digest from one repository to another: blobs first, then each platform's
 * manifest, the index last, each by digest. So a tag (applied after the index) never points at a
 * partial image, a rerun after an interruption skips whatever already arrived, and the source is
 * only read. The target's index is fetched back and must hash to `digest`.
 */
export async function copyImage(client: RegistryClient, o: CopyOptions): Promise<CopyResult> {
    const from = repository(o.from, "source");
    const to = repository(o.to, "target");
    if (!isDigest(o.digest)) {
        throw new RegistryError(`copy needs a digest sha256:<64 hex>, got "${o.digest}"`);
    }
    if (from.name === to.name) throw new RegistryError(`copy source and target are both ${to.name}`);
    const tags = [...new Set(o.tags ?? [])];
    const canMount = (o.mount ?? true) && from.registry === to.registry;
    const limit = o.concurrency ?? 4;
    const result: CopyResult = {
        digest: o.digest,
        from: from.name,
        to: to.name,
        alreadyPresent: false,
        blobs: { mounted: 0, copied: 0, present: 0 },
        manifests: { copied: 0, present: 0 },
        bytesCopied: 0,
        tags: [],
    };

    // Reads only, together: is it there already, and would an immutable tag refuse it?
    const immutable = tags.filter((t) => isImmutableTag(t));
    const [present, ...heads] = await Promise.all([
        client.headManifest(to.name, o.digest),
        ...immutable.map((t) => client.headManifest(to.name, t)),
    ]);
    const refused = immutable
        .map((t, i) => ({ t, head: heads[i] }))
        .filter((x) => x.head !== undefined && x.head.digest !== o.digest)
        .map((x) => new ImmutableTagError(to.name, x.t, x.head!.digest, o.digest));
    if (refused.length === 1) throw refused[0];
    if (refused.length > 1) throw new RegistryError(refused.map((e) => e.message).join("; "));

    if (present !== undefined) {
        result.alreadyPresent = true;
    } else if (o.checkOnly) {
        // The source must hold it, or the real copy would fail after the dry run said yes.
        await client.getManifest(from.name, o.digest);
        return result;
    } else {
        const blobsDone = new Map<string, Promise<void>>();
        const copyBlob = (d: Descriptor): Promise<void> => {
            // Platforms often share a blob (a common base layer): one transfer, every manifest waits on it.
            let p = blobsDone.get(d.digest);
            if (p === undefined) {
                p = transferBlob(d);
                blobsDone.set(d.digest, p);
            }
            return p;
        };
        const transferBlob = async (d: Descriptor): Promise<void> => {
            if (await client.hasBlob(to.name, d.digest)) {
                result.blobs.present++;
                return;
            }
            let session: string | undefined;
            if (canMount) {
                const m = await client.mountBlob(to.name, d.digest, from.name);
                if (m.mounted) {
                    result.blobs.mounted++;
                    return;
                }
                session = m.uploadUrl;
            }
            // Read after the await: several transfers finish concurrently, each adds its own bytes.
            const bytes = await client.copyBlob(from.name, to.name, d, session);
            result.bytesCopied += bytes;
            result.blobs.copied++;
        };
        const copyManifest = async (digest: string, top: boolean): Promise<void> => {
            if (!top && (await client.headManifest(to.name, digest)) !== undefined) {
                result.manifests.present++;
                return;
            }
            const m = await client.getManifest(from.name, digest);
            if (isIndexMediaType(m.mediaType) || Array.isArray(m.json.manifests)) {
                const children = (m.json.manifests ?? []).map((c) => c.digest);
                await pool(children, limit, (c) => copyManifest(c, false));
            } else {
                const blobs = [...(m.json.config ? [m.json.config] : []), ...(m.json.layers ?? [])].filter(
                    (b) => !FOREIGN_LAYER.test(b.mediaType ?? ""),
                );
                await pool(blobs, limit, copyBlob);
            }
            await client.putManifest(to.name, digest, m.bytes, m.mediaType);
            result.manifests.copied++;
        };
        await copyManifest(o.digest, true);
    }

    if (o.checkOnly) return result;
    // The target must now serve exactly these bytes under this digest (getManifest hashes what it got).
    const check: Manifest = await client.getManifest(to.name, o.digest);
    if (check.digest !== o.digest) {
        throw new RegistryProtocolError(`${to.name}@${o.digest} serves content with digest ${check.digest}`);
    }
    if (tags.length > 0) result.tags = await client.applyTags(to.name, o.digest, tags);
    return result;
}
