import { isDigest } from "../release";
import { sha256Digest } from "./digest";
import { Repo, deleteScope, manifestUrl, pullScope, pushScope, repoOf } from "./endpoints";
import {
    MalformedManifestError,
    ManifestNotFoundError,
    RegistryError,
    RegistryProtocolError,
    checkStatus,
} from "./errors";
import { MANIFEST_ACCEPT, Manifest } from "./mediatypes";
import type { Reply, Session } from "./session";

/*
 * Manifests by tag or digest: HEAD, GET, PUT, DELETE. What the registry says about a manifest is
 * decoded in two places only: `headDescriptor` (the HEAD's headers) and `decodeManifest` (a GET's
 * bytes); every digest the client learns from a registry comes out of one of them.
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
    const digest = reply.headers.get("docker-content-digest");
    if (!digest) throw new RegistryProtocolError(`${reply.what} gave no Docker-Content-Digest`, reply);
    return {
        mediaType: mediaTypeHeader(reply),
        digest,
        size: Number(reply.headers.get("content-length") ?? 0),
    };
}

/** A GET's bytes as a manifest: a JSON object that hashes to `reference` when that is a digest. */
export function decodeManifest(repo: Repo, reference: string, reply: Reply): Manifest {
    let json: Manifest["json"];
    try {
        json = JSON.parse(reply.body.toString("utf8")) as Manifest["json"];
    } catch (e) {
        throw new MalformedManifestError(repo.name, reference, (e as Error).message, reply);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
        throw new MalformedManifestError(repo.name, reference, "top level is not an object", reply);
    }
    const digest = sha256Digest(reply.body);
    if (reference.startsWith("sha256:") && digest !== reference) {
        throw new RegistryProtocolError(
            `manifest ${reference} in ${repo.name} has content digest ${digest}`,
            reply,
        );
    }
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
    });
    if (reply.status === 404) throw new ManifestNotFoundError(repo.name, reference, reply);
    checkStatus(reply, 200);
    return decodeManifest(repo, reference, reply);
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
    const expected = sha256Digest(bytes);
    if (reference.startsWith("sha256:") && reference !== expected) {
        throw new RegistryError(`manifest bytes have digest ${expected}, not ${reference}`);
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
        throw new RegistryProtocolError(`${what}: registry stored ${returned}, expected ${expected}`, reply);
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
