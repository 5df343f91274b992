import type { Readable } from "stream";
import { getBlob, hasBlob, mountBlob } from "./blobs";
import { readBlobStream } from "./blobRead";
import type { ImageAge, ManifestChild } from "../release";
import { ImageDescription, describeImage, imageAge, manifestChildren, verifyImage } from "./describe";
import { registryBaseUrl } from "./endpoints";
import { listTags, referrersSupported } from "./listing";
import type { BodyLimit } from "./limits";
import { ManifestHead, deleteManifest, getManifest, headManifest, putManifest } from "./manifests";
import type { Manifest } from "./mediatypes";
import { KnownTagState, RetagResult, applyTags, retag } from "./moveTags";
import { RegistryClientOptions, Session } from "./session";
import { BlobFile, copyBlob, pushBlob, pushBlobFile } from "./upload";

export type { KnownTagState, RetagResult } from "./moveTags";
export type { RegistryClientOptions, TransferEvent } from "./session";

/**
 * For a preview, which must answer quickly when the registry is down: three tries 200 ms and 400 ms
 * apart, and 10 s per request (a black-holed host), instead of the client's general-purpose 4 x 30 s.
 */
export const VERIFY_CLIENT_OPTIONS: RegistryClientOptions = {
    timeoutMs: 10_000,
    retry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 1000 },
};

/**
 * The registry client the rest of the project holds: one session (credentials, tokens, retries) and
 * the protocol's operations over it. Each method is one call into the file that owns its concern:
 * manifests.ts, blobs.ts, upload.ts, listing.ts, moveTags.ts, describe.ts.
 */
export class RegistryClient {
    private readonly session: Session;

    constructor(options: RegistryClientOptions = {}) {
        this.session = new Session(options);
    }

    /** The status of `GET /v2/` once any challenge is answered: 200 when the registry lets us in. */
    async ping(registry: string): Promise<number> {
        const reply = await this.session.request(
            registry,
            { method: "GET", url: `${registryBaseUrl(registry)}/v2/`, scope: "", what: `ping ${registry}` },
            false,
        );
        return reply.status;
    }

    headManifest(name: string, reference: string): Promise<ManifestHead | undefined> {
        return headManifest(this.session, name, reference);
    }

    getManifest(name: string, reference: string): Promise<Manifest> {
        return getManifest(this.session, name, reference);
    }

    putManifest(name: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
        return putManifest(this.session, name, reference, bytes, mediaType);
    }

    /** Deleting breaks every pin to this digest, so it only happens when the caller says so. */
    deleteManifest(name: string, digest: string, opts?: { confirm: true }): Promise<void> {
        return deleteManifest(this.session, name, digest, opts);
    }

    hasBlob(name: string, digest: string): Promise<boolean> {
        return hasBlob(this.session, name, digest);
    }

    /**
     * A whole blob in memory, checked against its digest: at most 4 MiB (a config, a signature
     * payload) unless `limit` says otherwise (ATTESTATION_LIMIT for an attestation envelope).
     */
    getBlob(name: string, digest: string, limit?: BodyLimit): Promise<Buffer> {
        return getBlob(this.session, name, digest, limit);
    }

    /**
     * A blob of any size as a stream, checked against its digest as it is read: `consume` reads it to
     * the end. An interrupted read starts over; `consume` runs again then.
     */
    readBlobStream<T>(
        name: string,
        blob: { digest: string; size: number },
        consume: (bytes: Readable) => Promise<T>,
    ): Promise<T> {
        return readBlobStream(this.session, name, blob, consume);
    }

    /** Monolithic upload; skipped when the blob already exists so re-pushes move no bytes. */
    pushBlob(name: string, bytes: Buffer): Promise<{ digest: string; uploaded: boolean }> {
        return pushBlob(this.session, name, bytes);
    }

    /** pushBlob from a file whose digest and size are known: streamed, each attempt from the start. */
    pushBlobFile(
        name: string,
        file: BlobFile,
        onBytes?: (sent: number) => void,
    ): Promise<{ digest: string; uploaded: boolean }> {
        return pushBlobFile(this.session, name, file, onBytes);
    }

    /** Cross-repository mount; a registry that will not mount answers with an upload session instead. */
    mountBlob(
        to: string,
        digest: string,
        from: string,
    ): Promise<{ mounted: true } | { mounted: false; uploadUrl: string }> {
        return mountBlob(this.session, to, digest, from);
    }

    /**
     * Streams one blob from `from` into `to` (into the session `uploadUrlHint` names); returns its size.
     * `onBytes` hears the bytes streamed so far.
     */
    copyBlob(
        from: string,
        to: string,
        blob: { digest: string; size: number },
        uploadUrlHint?: string,
        onBytes?: (sent: number) => void,
    ): Promise<number> {
        return copyBlob(this.session, from, to, blob, uploadUrlHint, onBytes);
    }

    listTags(name: string): Promise<string[]> {
        return listTags(this.session, name);
    }

    referrersSupported(name: string, digest: string): Promise<boolean> {
        return referrersSupported(this.session, name, digest);
    }

    /** Points one tag at `digest`; an immutable tag that names another digest is refused unless forced. */
    retag(name: string, digest: string, tag: string, opts: { force?: boolean } = {}): Promise<RetagResult> {
        return retag(this.session, name, digest, tag, opts);
    }

    /** Points every tag at `digest`, all checked before the first write, immutable tags written first. */
    applyTags(
        name: string,
        digest: string,
        tags: string[],
        opts: { force?: boolean; known?: KnownTagState } = {},
    ): Promise<RetagResult[]> {
        return applyTags(this.session, name, digest, tags, opts);
    }

    describe(ref: string): Promise<ImageDescription> {
        return describeImage(this.session, ref);
    }

    verify(ref: string, requiredPlatforms: string[]): Promise<ImageDescription> {
        return verifyImage(this.session, ref, requiredPlatforms);
    }

    /** An index's manifests (an image has none); undefined when the digest is not in the repository. */
    manifestChildren(name: string, digest: string): Promise<ManifestChild[] | undefined> {
        return manifestChildren(this.session, name, digest);
    }

    /** The image's config `created` (an index: its newest platform's), or why it has none. */
    imageAge(name: string, digest: string): Promise<ImageAge> {
        return imageAge(this.session, name, digest);
    }
}
