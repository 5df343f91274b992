import { isDigest, isImmutableTag, isTag, parseReference } from "../release";
import type { RegistryClient, RetagResult } from "./client";
import { ImmutableTagError, ManifestNotFoundError, RegistryError, RegistryProtocolError } from "./errors";
import { eachLimited, limiter } from "./limit";
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
    /**
     * Tags of artifacts that live beside the image in `from`, such as cosign's `sha256-<hex>.sig` and
     * `sha256-<hex>.att`. Once the image is copied and verified, and before `tags` move, each one the
     * source has is copied (its blobs, then its manifest under the same tag) unless the target's tag
     * already names the same digest. A target tag that names another digest is kept, never overwritten.
     * Default none. https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md
     */
    artifactTags?: string[];
    /** Blob transfers in flight at once, across all platforms and artifacts. Default 4. */
    concurrency?: number;
    /** Same-registry blobs by cross-repository mount. Default true; false forces a full copy. */
    mount?: boolean;
    /** Only the reads and checks (a dry run): is it there, would a tag refuse it. Nothing is written. */
    checkOnly?: boolean;
}

/**
 * What became of one artifact tag: `copied` into the target, already `present` there with the same
 * digest, `absent` from the source (nothing to copy), or `kept-target`: the target's tag names another
 * digest and was left alone. With `checkOnly`, what a real run would do.
 */
export type ArtifactOutcome = "copied" | "present" | "absent" | "kept-target";

export interface CopyResult {
    digest: string;
    from: string;
    to: string;
    /** The target already had the index: none of the image was sent. */
    alreadyPresent: boolean;
    /** Blobs and manifests of the image and of any artifacts copied with it. */
    blobs: { mounted: number; copied: number; present: number };
    manifests: { copied: number; present: number };
    /** Blob bytes streamed into the target (mounted blobs move none). */
    bytesCopied: number;
    tags: RetagResult[];
    /** One entry per requested artifact tag, in the order asked; `[]` when none were. */
    artifacts: { tag: string; result: ArtifactOutcome }[];
}

type Head = { digest: string } | undefined;

/** Layers a registry must not redistribute (Windows base layers) are fetched from their URLs instead. */
const FOREIGN_LAYER = /\.foreign\./;

function repository(name: string, what: string): { registry: string; name: string } {
    const r = parseReference(name);
    if (r.tag !== undefined || r.digest !== undefined) {
        throw new RegistryError(`copy ${what} "${name}" must be a repository without a tag or digest`);
    }
    return { registry: r.registry, name: r.name };
}

/** The manifest by digest, or undefined when the repository lacks it; getManifest checks its hash. */
async function manifestIfPresent(
    client: RegistryClient,
    name: string,
    digest: string,
): Promise<Manifest | undefined> {
    try {
        return await client.getManifest(name, digest);
    } catch (e) {
        if (e instanceof ManifestNotFoundError) return undefined;
        throw e;
    }
}

function headsOf(client: RegistryClient, name: string, tags: string[]): Promise<Head[]> {
    return Promise.all(tags.map((t) => client.headManifest(name, t)));
}

function artifactOutcome(source: Head, target: Head): ArtifactOutcome {
    if (source === undefined) return "absent";
    if (target === undefined) return "copied";
    return target.digest === source.digest ? "present" : "kept-target";
}

/**
 * Copies an image by digest from one repository to another: blobs first, then each platform's
 * manifest, the index last, each by digest. So a tag (applied after the index) never points at a
 * partial image, a rerun after an interruption skips whatever already arrived, and the source is
 * only read. The target's index is read back and must hash to `digest`.
 *
 * The first round reads everything a re-promotion needs at once (the target's index, every requested
 * tag, the artifact tags on both sides), so promoting an image the target already holds costs that
 * round plus the tag writes.
 */
export async function copyImage(client: RegistryClient, o: CopyOptions): Promise<CopyResult> {
    const from = repository(o.from, "source");
    const to = repository(o.to, "target");
    if (!isDigest(o.digest)) {
        throw new RegistryError(`copy needs a digest sha256:<64 hex>, got "${o.digest}"`);
    }
    if (from.name === to.name) throw new RegistryError(`copy source and target are both ${to.name}`);
    const tags = [...new Set(o.tags ?? [])];
    const artifactTags = [...new Set(o.artifactTags ?? [])];
    const badArtifact = artifactTags.find((t) => !isTag(t));
    if (badArtifact !== undefined) {
        throw new RegistryError(`artifact tag "${badArtifact}" is not a tag: must match [\\w][\\w.-]{0,127}`);
    }
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
        artifacts: [],
    };

    // Reads only, together: is it there already (a present index is hashed as it is read), where does
    // each requested tag point (an immutable one may refuse the copy), and where do the artifacts live.
    const [present, tagHeads, sourceArtifacts, targetArtifacts] = await Promise.all([
        manifestIfPresent(client, to.name, o.digest),
        headsOf(client, to.name, tags),
        headsOf(client, from.name, artifactTags),
        headsOf(client, to.name, artifactTags),
    ]);
    const refused = tags
        .map((t, i) => ({ t, head: tagHeads[i] }))
        .filter((x) => isImmutableTag(x.t) && x.head !== undefined && x.head.digest !== o.digest)
        .map((x) => new ImmutableTagError(to.name, x.t, x.head!.digest, o.digest));
    if (refused.length === 1) throw refused[0];
    if (refused.length > 1) throw new RegistryError(refused.map((e) => e.message).join("; "));

    if (o.checkOnly) {
        result.alreadyPresent = present !== undefined;
        // The source must hold it, or the real copy would fail after the dry run said yes.
        if (present === undefined) await client.getManifest(from.name, o.digest);
        result.artifacts = artifactTags.map((tag, i) => ({
            tag,
            result: artifactOutcome(sourceArtifacts[i], targetArtifacts[i]),
        }));
        return result;
    }

    const blobsDone = new Map<string, Promise<void>>();
    // One budget for every platform's blobs, so `concurrency` bounds the transfers, not each level.
    const inFlight = limiter(Math.max(1, limit));
    let failed: Error | undefined;
    const copyBlob = (d: Descriptor): Promise<void> => {
        // Platforms often share a blob (a common base layer): one transfer, every manifest waits on it.
        let p = blobsDone.get(d.digest);
        if (p === undefined) {
            // Once one transfer failed the copy is lost: the ones still waiting do not start.
            p = inFlight(async () => {
                if (failed !== undefined) throw failed;
                try {
                    await transferBlob(d);
                } catch (e) {
                    failed ??= e as Error;
                    throw e;
                }
            });
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
    /**
     * Copies the tree under `digest` and then the manifest itself: under `reference` (the image's
     * digest, or an artifact's tag) when given, else by digest unless the target already has it.
     */
    const copyManifest = async (digest: string, reference?: string): Promise<void> => {
        // Whether the target has it and what the source holds, in one round trip; what the source
        // says does not matter when the target already has it.
        const [there, got] = await Promise.allSettled([
            reference === undefined ? client.headManifest(to.name, digest) : undefined,
            client.getManifest(from.name, digest),
        ]);
        if (there.status === "rejected") throw there.reason;
        if (there.value !== undefined) {
            result.manifests.present++;
            return;
        }
        if (got.status === "rejected") throw got.reason;
        const m = got.value;
        if (isIndexMediaType(m.mediaType) || Array.isArray(m.json.manifests)) {
            const children = (m.json.manifests ?? []).map((c) => c.digest);
            await eachLimited(children, limit, (c) => copyManifest(c));
        } else {
            const blobs = [...(m.json.config ? [m.json.config] : []), ...(m.json.layers ?? [])].filter(
                (b) => !FOREIGN_LAYER.test(b.mediaType ?? ""),
            );
            await eachLimited(blobs, limit, copyBlob);
        }
        await client.putManifest(to.name, reference ?? digest, m.bytes, m.mediaType);
        result.manifests.copied++;
    };

    let index = present;
    let tagsNow = tagHeads;
    let artifactsNow = targetArtifacts;
    if (index !== undefined) {
        result.alreadyPresent = true;
    } else {
        await copyManifest(o.digest, o.digest);
        // Read back together: the index, which must now hash to the digest (getManifest checks what it
        // got), and where the tags and artifact tags point after a copy that may have taken minutes.
        [index, tagsNow, artifactsNow] = await Promise.all([
            client.getManifest(to.name, o.digest),
            headsOf(client, to.name, tags),
            headsOf(client, to.name, artifactTags),
        ]);
        if (index.digest !== o.digest) {
            throw new RegistryProtocolError(
                `${to.name}@${o.digest} serves content with digest ${index.digest}`,
            );
        }
    }

    if (artifactTags.length > 0) {
        result.artifacts = artifactTags.map((tag, i) => ({
            tag,
            result: artifactOutcome(sourceArtifacts[i], artifactsNow[i]),
        }));
        const toCopy = result.artifacts
            .map((a, i) => ({ ...a, digest: sourceArtifacts[i]?.digest }))
            .filter((a) => a.result === "copied");
        // Signatures before tags: a tag never names an image whose signature the target lacks.
        await eachLimited(toCopy, limit, (a) => copyManifest(a.digest!, a.tag));
    }

    if (tags.length > 0) {
        // Written with the index bytes just read; applyTags re-checks immutability with these heads.
        const heads = new Map<string, Head>(tags.map((t, i) => [t, tagsNow[i]]));
        result.tags = await client.applyTags(to.name, o.digest, tags, { known: { manifest: index, heads } });
    }
    return result;
}
