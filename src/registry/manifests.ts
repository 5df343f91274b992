import { isDigest } from "../release";
import { checkDescriptors } from "./descriptors";
import { checkedDigest, digestLike, isContentDigest, sha256Digest } from "./digest";
import { Repo, deleteScope, manifestUrl, pullScope, pushScope, repoOf } from "./endpoints";
import {
    MalformedManifestError,
    ManifestNotFoundError,
    ManifestTooLargeError,
    RegistryError,
    RegistryProtocolError,
    checkStatus,
    printable,
} from "./errors";
import { MANIFEST_LIMIT } from "./limits";
import { MANIFEST_ACCEPT, Manifest } from "./mediatypes";
import type { Reply, Session } from "./session";

/*
 * Manifests by tag or digest: HEAD, GET, PUT, DELETE. What the registry says about a manifest is
 * decoded in two places only: `headDescriptor` (the HEAD's headers) and `decodeManifest` (a GET's
 * bytes, at most 4 MiB); every digest the client learns from a registry comes out of one of them,
 * checked to be a content digest before anything can use it.
 */

export interface ManifestHead {
    mediaType: string;
    digest: string;
    size: number;
}

function mediaTypeHeader(reply: Reply): string {
    return (reply.headers.get("content-type") ?? "").split(";")[0].trim();
}

/** A HEAD's descriptor: the `Docker-Content-Digest` the registry names, its media type and size. */
export function headDescriptor(reply: Reply): ManifestHead {
    const header = reply.headers.get("docker-content-digest");
    if (!header) throw new RegistryProtocolError(`${reply.what} gave no Docker-Content-Digest`, reply);
    const digest = checkedDigest(header, `${reply.what} answered Docker-Content-Digest`, reply);
    return {
        mediaType: mediaTypeHeader(reply),
        digest,
        size: Number(reply.headers.get("content-length") ?? 0),
    };
}

/**
 * A GET's bytes as a manifest: a JSON object that hashes to `reference` when that is a digest, whose
 * descriptors all carry content digests, listing `maxIndexEntries` entries at most.
 */
export function decodeManifest(
    repo: Repo,
    reference: string,
    reply: Reply,
    maxIndexEntries: number,
): Manifest {
    let json: Manifest["json"];
    try {
        json = JSON.parse(reply.body.toString("utf8")) as Manifest["json"];
    } catch (e) {
        throw new MalformedManifestError(repo.name, reference, (e as Error).message, reply);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
        throw new MalformedManifestError(repo.name, reference, "top level is not an object", reply);
    }
    if (isContentDigest(reference) && digestLike(reference, reply.body) !== reference) {
        throw new RegistryProtocolError(
            `manifest ${reference} in ${repo.name} has content digest ${digestLike(reference, reply.body)}`,
            reply,
        );
    }
    checkDescriptors(json, { repository: repo.name, reference, reply, maxIndexEntries });
    const digest = sha256Digest(reply.body);
    const mediaType = typeof json.mediaType === "string" ? json.mediaType : mediaTypeHeader(reply);
    return { mediaType, digest, bytes: reply.body, json };
}

export async function headManifest(
    session: Session,
    name: string,
    reference: string,
): Promise<ManifestHead | undefined> {
    const repo = repoOf(name);
    const reply = await session.request(repo.registry, {
        method: "HEAD",
        url: manifestUrl(repo, reference),
        scope: pullScope(repo),
        what: `HEAD manifest ${reference} in ${repo.name}`,
        headers: { Accept: MANIFEST_ACCEPT },
    });
    if (reply.status === 404) return undefined;
    checkStatus(reply, 200);
    return headDescriptor(reply);
}

export async function getManifest(session: Session, name: string, reference: string): Promise<Manifest> {
    const repo = repoOf(name);
    const reply = await session.request(repo.registry, {
        method: "GET",
        url: manifestUrl(repo, reference),
        scope: pullScope(repo),
        what: `GET manifest ${reference} in ${repo.name}`,
        headers: { Accept: MANIFEST_ACCEPT },
        limit: MANIFEST_LIMIT,
    });
    if (reply.status === 404) throw new ManifestNotFoundError(repo.name, reference, reply);
    checkStatus(reply, 200);
    return decodeManifest(repo, reference, reply, session.maxIndexEntries);
}

/** Writes `bytes` under `reference` (a tag, or their digest); returns their digest. */
export async function putManifest(
    session: Session,
    name: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
): Promise<string> {
    const repo = repoOf(name);
    // A sha512 reference is checked, and answered, in its own algorithm.
    const expected = isContentDigest(reference) ? digestLike(reference, bytes) : sha256Digest(bytes);
    if (isContentDigest(reference) && reference !== expected) {
        throw new RegistryError(`manifest bytes have digest ${expected}, not ${reference}`);
    }
    if (bytes.length > MANIFEST_LIMIT.bytes) {
        throw new ManifestTooLargeError(repo.name, reference, bytes.length, MANIFEST_LIMIT.bytes);
    }
    const what = `PUT manifest ${reference} in ${repo.name}`;
    const reply = await session.request(repo.registry, {
        method: "PUT",
        url: manifestUrl(repo, reference),
        scope: pushScope(repo),
        what,
        quoteBody: true,
        headers: { "Content-Type": mediaType },
        body: bytes,
    });
    checkStatus(reply, 201, 200);
    const returned = reply.headers.get("docker-content-digest");
    if (returned && returned !== expected) {
        throw new RegistryProtocolError(
            `${what}: registry stored ${printable(returned)}, expected ${expected}`,
            reply,
        );
    }
    return expected;
}

/** Deleting breaks every pin to this digest, so it only happens when the caller says so. */
export async function deleteManifest(
    session: Session,
    name: string,
    digest: string,
    opts?: { confirm: true },
): Promise<void> {
    const repo = repoOf(name);
    if (opts?.confirm !== true) {
        throw new RegistryError(`refusing to delete ${repo.name}@${digest} without { confirm: true }`);
    }
    if (!isDigest(digest)) throw new RegistryError(`delete needs a digest, got "${digest}"`);
    const reply = await session.request(repo.registry, {
        method: "DELETE",
        url: manifestUrl(repo, digest),
        scope: deleteScope(repo),
        what: `DELETE ${repo.name}@${digest}`,
    });
    if (reply.status === 404) throw new ManifestNotFoundError(repo.name, digest, reply);
    checkStatus(reply, 202, 200);
}
