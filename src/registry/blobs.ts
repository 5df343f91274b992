import { digestLike } from "./digest";
import {
    Repo,
    blobUrl,
    mountScope,
    pullScope,
    pushScope,
    registryBaseUrl,
    repoOf,
    requireDigest,
    uploadsUrl,
} from "./endpoints";
import { BlobNotFoundError, RegistryError, RegistryProtocolError, checkStatus, statusError } from "./errors";
import { BodyLimit, METADATA_BLOB_LIMIT } from "./limits";
import { checkedUrl } from "./origin";
import type { Session } from "./session";

/*
 * Blobs by digest: whether a repository has one, its bytes, and the two ways one arrives without
 * its bytes passing through here: already there, or a cross-repository mount. Uploads (the bytes
 * themselves) are in upload.ts.
 */

export async function hasBlob(session: Session, name: string, digest: string): Promise<boolean> {
    const repo = repoOf(name);
    const reply = await session.request(repo.registry, {
        method: "HEAD",
        url: blobUrl(repo, digest),
        scope: pullScope(repo),
        what: `HEAD blob ${digest} in ${repo.name}`,
    });
    if (reply.status === 404) return false;
    checkStatus(reply, 200);
    return true;
}

/**
 * A whole blob in memory, checked against its digest: at most `limit` bytes (default 4 MiB, for
 * configs and signature payloads; ATTESTATION_LIMIT for attestations). A cap over 4 MiB makes the
 * read a transfer, under the stall timeout rather than the metadata deadline.
 */
export async function getBlob(
    session: Session,
    name: string,
    digest: string,
    limit: BodyLimit = METADATA_BLOB_LIMIT,
): Promise<Buffer> {
    const repo = repoOf(name);
    const reply = await session.request(repo.registry, {
        method: "GET",
        url: blobUrl(repo, digest),
        scope: pullScope(repo),
        what: `GET blob ${digest} in ${repo.name}`,
        limit,
    });
    if (reply.status === 404) throw new BlobNotFoundError(repo.name, digest, reply);
    checkStatus(reply, 200);
    if (digestLike(digest, reply.body) !== digest)
        throw new RegistryProtocolError(`blob ${digest} in ${repo.name} has wrong content digest`, reply);
    return reply.body;
}

/**
 * Opens an upload session in `repo`; its absolute URL is where the bytes go. With `mount`, the
 * registry may link the blob from another repository instead (201, nothing to upload).
 */
export async function startUpload(
    session: Session,
    repo: Repo,
    mount?: { digest: string; from: Repo },
): Promise<{ status: number; url: string }> {
    const reply = await session.request(repo.registry, {
        method: "POST",
        url: uploadsUrl(repo, mount && { digest: mount.digest, fromPath: mount.from.path }),
        scope: mount ? mountScope(repo, mount.from.path) : pushScope(repo),
        what: `starting blob upload in ${repo.name}`,
    });
    checkStatus(reply, 202, 201);
    const location = reply.headers.get("location");
    if (!location) throw statusError(reply);
    const subject = `starting blob upload in ${repo.name} gave upload location`;
    const url = checkedUrl(location, subject, { base: registryBaseUrl(repo.registry), reply });
    return { status: reply.status, url: url.toString() };
}

/**
 * Cross-repository mount (same registry): the registry links the blob into `to` without moving a
 * byte. A registry that cannot mount (no access to `from`, or mounting disabled) answers with an
 * upload session instead, returned so the caller can copy into it.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#mounting-a-blob-from-another-repository
 */
export async function mountBlob(
    session: Session,
    to: string,
    digest: string,
    from: string,
): Promise<{ mounted: true } | { mounted: false; uploadUrl: string }> {
    const target = repoOf(to);
    const source = repoOf(from);
    if (source.registry !== target.registry) {
        throw new RegistryError(
            `cannot mount ${digest} from ${source.name} into ${target.name}: different registries`,
        );
    }
    requireDigest(digest);
    const start = await startUpload(session, target, { digest, from: source });
    return start.status === 201 ? { mounted: true } : { mounted: false, uploadUrl: start.url };
}
