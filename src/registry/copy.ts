import { isDigest, isTag, LayerProgress, parseReference, planTagMoves } from "../release";
import type { RegistryClient } from "./client";
import { CopyCounts, TreeCopy } from "./copyTree";
import { ManifestNotFoundError, RegistryError, RegistryProtocolError } from "./errors";
import { eachLimited } from "./limit";
import type { Manifest } from "./mediatypes";
import { RetagResult, refuseImmutable } from "./moveTags";

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
    /**
     * Hears each of the image's layers (not configs, not the artifacts' blobs) as it is copied: its
     * bytes as they stream, then once done, or once as `exists`/`mounted` when it moved no bytes. An
     * image the target already holds reports nothing.
     */
    onLayer?: (e: LayerProgress) => void;
}

/**
 * What became of one artifact tag: `copied` into the target, already `present` there with the same
 * digest, `absent` from the source (nothing to copy), or `kept-target`: the target's tag names another
 * digest and was left alone. With `checkOnly`, what a real run would do.
 */
export type ArtifactOutcome = "copied" | "present" | "absent" | "kept-target";

export interface CopyResult extends CopyCounts {
    digest: string;
    from: string;
    to: string;
    /** The target already had the index: none of the image was sent. */
    alreadyPresent: boolean;
    /*
     * From CopyCounts: `blobs` and `manifests` of the image and of any artifacts copied with it, and
     * `bytesCopied`, the blob bytes streamed into the target (mounted blobs move none).
     */
    tags: RetagResult[];
    /** One entry per requested artifact tag, in the order asked; `[]` when none were. */
    artifacts: { tag: string; result: ArtifactOutcome }[];
}

type Head = { digest: string } | undefined;

interface Repository {
    registry: string;
    name: string;
}

function repository(name: string, what: string): Repository {
    const r = parseReference(name);
    if (r.tag !== undefined || r.digest !== undefined) {
        throw new RegistryError(`copy ${what} "${name}" must be a repository without a tag or digest`);
    }
    return { registry: r.registry, name: r.name };
}

/** The copy's inputs, checked, each tag once. */
interface CopyInputs {
    from: Repository;
    to: Repository;
    digest: string;
    tags: string[];
    artifactTags: string[];
}

/** Refuses, before any request, inputs that cannot be right. */
function checkOptions(o: CopyOptions): CopyInputs {
    const from = repository(o.from, "source");
    const to = repository(o.to, "target");
    if (!isDigest(o.digest)) {
        throw new RegistryError(`copy needs a digest sha256:<64 hex>, got "${o.digest}"`);
    }
    if (from.name === to.name) throw new RegistryError(`copy source and target are both ${to.name}`);
    const artifactTags = [...new Set(o.artifactTags ?? [])];
    const badArtifact = artifactTags.find((t) => !isTag(t));
    if (badArtifact !== undefined) {
        throw new RegistryError(`artifact tag "${badArtifact}" is not a tag: must match [\\w][\\w.-]{0,127}`);
    }
    return { from, to, digest: o.digest, tags: [...new Set(o.tags ?? [])], artifactTags };
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

/** Where the copy starts: what the target and the source hold, read together before anything is sent. */
interface FirstRound {
    /** The target's index, when it already has it (hashed as it was read). */
    present: Manifest | undefined;
    /** Where each requested tag points in the target. */
    tagHeads: Head[];
    sourceArtifacts: Head[];
    targetArtifacts: Head[];
}

/**
 * Reads only, together: is it there already, where does each requested tag point (an immutable one
 * refuses the copy here, before anything is sent), and where do the artifacts live on both sides.
 */
async function firstRound(client: RegistryClient, c: CopyInputs): Promise<FirstRound> {
    const [present, tagHeads, sourceArtifacts, targetArtifacts] = await Promise.all([
        manifestIfPresent(client, c.to.name, c.digest),
        headsOf(client, c.to.name, c.tags),
        headsOf(client, c.from.name, c.artifactTags),
        headsOf(client, c.to.name, c.artifactTags),
    ]);
    const heads = new Map(c.tags.map((t, i) => [t, tagHeads[i]?.digest]));
    refuseImmutable(c.to.name, c.digest, planTagMoves({ digest: c.digest, tags: c.tags, heads }).refused);
    return { present, tagHeads, sourceArtifacts, targetArtifacts };
}

/**
 * Copies the image tree and reads back, together: the index, which must now hash to the digest
 * (getManifest checks what it got), and where the tags and artifact tags point after a copy that may
 * have taken minutes.
 */
async function copyAndReadBack(
    client: RegistryClient,
    tree: TreeCopy,
    c: CopyInputs,
): Promise<{ index: Manifest; tagHeads: Head[]; targetArtifacts: Head[] }> {
    await tree.copyManifest(c.digest, c.digest, { progress: true });
    const [index, tagHeads, targetArtifacts] = await Promise.all([
        client.getManifest(c.to.name, c.digest),
        headsOf(client, c.to.name, c.tags),
        headsOf(client, c.to.name, c.artifactTags),
    ]);
    if (index.digest !== c.digest) {
        throw new RegistryProtocolError(
            `${c.to.name}@${c.digest} serves content with digest ${index.digest}`,
        );
    }
    return { index, tagHeads, targetArtifacts };
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
    const c = checkOptions(o);
    const limit = o.concurrency ?? 4;
    const result: CopyResult = {
        digest: o.digest,
        from: c.from.name,
        to: c.to.name,
        alreadyPresent: false,
        blobs: { mounted: 0, copied: 0, present: 0 },
        manifests: { copied: 0, present: 0 },
        bytesCopied: 0,
        tags: [],
        artifacts: [],
    };
    const first = await firstRound(client, c);
    const outcomes = (target: Head[]): CopyResult["artifacts"] =>
        c.artifactTags.map((tag, i) => ({
            tag,
            result: artifactOutcome(first.sourceArtifacts[i], target[i]),
        }));
    result.alreadyPresent = first.present !== undefined;

    if (o.checkOnly) {
        // The source must hold it, or the real copy would fail after the dry run said yes.
        if (first.present === undefined) await client.getManifest(c.from.name, o.digest);
        result.artifacts = outcomes(first.targetArtifacts);
        return result;
    }

    const mount = (o.mount ?? true) && c.from.registry === c.to.registry;
    const tree = new TreeCopy(
        client,
        c.from.name,
        c.to.name,
        { mount, concurrency: limit, ...(o.onLayer ? { onLayer: o.onLayer } : {}) },
        result,
    );
    const now =
        first.present !== undefined
            ? { index: first.present, tagHeads: first.tagHeads, targetArtifacts: first.targetArtifacts }
            : await copyAndReadBack(client, tree, c);

    if (c.artifactTags.length > 0) {
        result.artifacts = outcomes(now.targetArtifacts);
        const toCopy = result.artifacts
            .map((a, i) => ({ ...a, digest: first.sourceArtifacts[i]?.digest }))
            .filter((a) => a.result === "copied");
        // Signatures before tags: a tag never names an image whose signature the target lacks.
        await eachLimited(toCopy, limit, (a) => tree.copyManifest(a.digest!, a.tag));
    }

    if (c.tags.length > 0) {
        // Written with the index bytes just read; applyTags re-checks immutability with these heads.
        const heads = new Map<string, Head>(c.tags.map((t, i) => [t, now.tagHeads[i]]));
        result.tags = await client.applyTags(c.to.name, o.digest, c.tags, {
            known: { manifest: now.index, heads },
        });
    }
    return result;
}
