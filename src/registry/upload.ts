import * as fs from "fs";
import { Readable, Transform } from "stream";
import { hasBlob, startUpload } from "./blobs";
import { sha256Digest } from "./digest";
import {
    Repo,
    closingUploadUrl,
    mountScope,
    pushScope,
    registryOrigin,
    repoOf,
    requireContentDigest,
} from "./endpoints";
import {
    BlobTooLargeError,
    CheckedReply,
    RegistryAuthError,
    RegistryProtocolError,
    RegistryUnavailableError,
    printable,
    statusError,
} from "./errors";
import { openBlob, sourceFacts } from "./blobRead";
import { RetryableError, withRetry } from "./retry";
import type { Session } from "./session";
import type { Stall } from "./timing";
import { Progress, VerifyingStream, exchange, networkCause, readAll } from "./transport";

/*
 * The bytes of a blob into a repository: a monolithic upload from memory (`pushBlob`) or from a file
 * (`pushBlobFile`, a layer the builder compressed to disk), or a stream
 * from another repository on any registry (`copyBlob`). Both go through node:http (transport.ts),
 * and an attempt that fails part way starts over with a fresh upload session. A transfer has no
 * total time limit (ML layers are many GB): it ends when no byte has moved for `stallTimeoutMs`.
 * The registry's credentials go to the upload location only when it is on the registry's origin.
 */

type UploadBody = Buffer | { from: Readable; through: Transform };

/** Remembers a 401 on an upload: the first gets one more attempt, whose POST authenticates afresh. */
interface UploadAttempts {
    unauthorized: boolean;
}

/** Monolithic upload; skipped when the blob already exists so re-pushes move no bytes. */
export async function pushBlob(
    session: Session,
    name: string,
    bytes: Buffer,
): Promise<{ digest: string; uploaded: boolean }> {
    const digest = sha256Digest(bytes);
    const uploaded = await pushBody(session, name, { digest, size: bytes.length }, (stall) =>
        Progress.body(bytes, stall),
    );
    return { digest, uploaded };
}

/** A blob on disk whose digest and size the caller computed as it wrote it. */
export interface BlobFile {
    digest: string;
    size: number;
    path: string;
}

/**
 * pushBlob for a blob in a file (a compressed layer): streamed from disk in one monolithic PUT, each
 * attempt from the file's start with a fresh upload session. `onBytes` hears the bytes sent so far.
 */
export async function pushBlobFile(
    session: Session,
    name: string,
    file: BlobFile,
    onBytes?: (sent: number) => void,
): Promise<{ digest: string; uploaded: boolean }> {
    const blob = { digest: file.digest, size: file.size };
    requireContentDigest(blob.digest);
    const uploaded = await pushBody(session, name, blob, (stall) => ({
        from: fs.createReadStream(file.path, { highWaterMark: 256 * 1024 }),
        through: new Progress(stall, file.size, onBytes),
    }));
    return { digest: file.digest, uploaded };
}

/** The upload protocol for a blob whose digest is known: HEAD, then POST + PUT per attempt. */
async function pushBody(
    session: Session,
    name: string,
    blob: { digest: string; size: number },
    body: (stall: Stall) => UploadBody,
): Promise<boolean> {
    const repo = repoOf(name);
    if (await hasBlob(session, name, blob.digest)) return false;
    const attempts: UploadAttempts = { unauthorized: false };
    await withRetry(
        session.retry,
        async () => {
            const started = await startUpload(session, repo);
            const put = await session.stalled(async (stall) => {
                try {
                    return await upload(session, repo, started.url, blob, body(stall), stall);
                } catch (e) {
                    const cause = networkCause(e);
                    if (cause) throw new RetryableError(cause);
                    throw e;
                }
            });
            checkUpload(put, repo, blob, attempts);
        },
        (n, cause, last) => new RegistryUnavailableError(repo.registry, n, cause, last.reply),
    );
    session.transferred(repo, blob.digest, blob.size);
    return true;
}

/**
 * The Authorization for an upload session's URL: what the POST that opened it settled (in
 * startUpload, with the source's scope too when it asked for a mount), when the session is on the
 * registry's origin; none when the registry handed out a location elsewhere (storage, another host).
 */
function uploadAuthorization(
    session: Session,
    target: Repo,
    url: URL,
    mountedFrom?: Repo,
): string | undefined {
    if (url.origin !== registryOrigin(target.registry)) return undefined;
    return (
        session.authorization(target.registry, pushScope(target)) ??
        (mountedFrom
            ? session.authorization(target.registry, mountScope(target, mountedFrom.path))
            : undefined)
    );
}

/**
 * The PUT that closes an upload session, through node:http: fetch copies a Buffer or a stream body
 * through web streams at several times the CPU.
 */
async function upload(
    session: Session,
    target: Repo,
    sessionUrl: string,
    blob: { digest: string; size: number },
    body: UploadBody,
    stall: Stall,
    mountedFrom?: Repo,
): Promise<CheckedReply> {
    const url = closingUploadUrl(sessionUrl, blob.digest);
    const auth = uploadAuthorization(session, target, url, mountedFrom);
    const put = await exchange(
        url,
        "PUT",
        {
            "Content-Type": "application/octet-stream",
            "Content-Length": String(blob.size),
            ...(auth ? { Authorization: auth } : {}),
        },
        stall.signal,
        body,
    );
    return {
        method: "PUT",
        url: url.toString(),
        status: put.statusCode ?? 0,
        statusText: printable(put.statusMessage ?? ""),
        body: await readAll(put),
        what: `uploading blob ${blob.digest} to ${target.name}`,
        quoteBody: true,
    };
}

/** Throws unless the upload answered 201; what is worth another attempt throws RetryableError. */
function checkUpload(
    put: CheckedReply,
    target: Repo,
    blob: { digest: string; size: number },
    attempts: UploadAttempts,
): void {
    if (put.status === 201) return;
    if (put.status === 413) throw new BlobTooLargeError(target.name, blob.digest, blob.size, put);
    if (put.status === 401 && !attempts.unauthorized) {
        // A token that lapsed mid-transfer: the next attempt's POST authenticates afresh.
        attempts.unauthorized = true;
        throw new RetryableError("401 Unauthorized on upload", put);
    }
    if (put.status === 401 || put.status === 403) {
        throw new RegistryAuthError(target.registry, pushScope(target), put.status, put);
    }
    const refused = statusError(put);
    if (refused.temporary) throw new RetryableError(`${put.status} ${put.statusText}`, put);
    throw refused;
}

/**
 * Streams one blob from `from` into `to` (any two registries, each with its own credentials): the
 * GET's body is the PUT's body, hashed on the way, with no temporary file and no whole-blob buffer.
 * An interrupted transfer starts over with a fresh GET and upload session (and `onBytes` from 0).
 * `onBytes` hears the bytes streamed so far.
 */
export async function copyBlob(
    session: Session,
    from: string,
    to: string,
    blob: { digest: string; size: number },
    uploadUrlHint?: string,
    onBytes?: (sent: number) => void,
): Promise<number> {
    const source = repoOf(from);
    const target = repoOf(to);
    requireContentDigest(blob.digest);
    // A mount the registry refused left an upload session open: the first attempt uses it.
    let hint = uploadUrlHint;
    const attempts: UploadAttempts = { unauthorized: false };
    return withRetry(
        session.retry,
        () => {
            const mountSession = hint;
            hint = undefined;
            return session.stalled((stall) =>
                copyAttempt(session, source, target, blob, attempts, { mountSession, onBytes }, stall),
            );
        },
        (n, cause, last) =>
            new RegistryUnavailableError(
                source.registry === target.registry
                    ? source.registry
                    : `${source.registry} or ${target.registry}`,
                n,
                `copying blob ${blob.digest} from ${source.name} to ${target.name}: ${cause}`,
                last.reply,
            ),
    );
}

/** One GET piped into one upload; returns the bytes moved. */
async function copyAttempt(
    session: Session,
    source: Repo,
    target: Repo,
    blob: { digest: string; size: number },
    attempts: UploadAttempts,
    how: { mountSession: string | undefined; onBytes: ((sent: number) => void) | undefined },
    stall: Stall,
): Promise<number> {
    const { mountSession } = how;
    // The upload session and the source's reply are independent: one round trip for both.
    const [started, opened] = await Promise.allSettled([
        mountSession ?? startUpload(session, target).then((s) => s.url),
        openBlob(session, source, blob.digest, stall.signal),
    ]);
    if (started.status === "rejected") {
        if (opened.status === "fulfilled") opened.value.res.destroy();
        throw started.reason;
    }
    if (opened.status === "rejected") throw opened.reason;
    const got = opened.value;
    const verifying = new VerifyingStream(blob, `${source.name}@${blob.digest}`, stall, how.onBytes);
    const mountedFrom = mountSession !== undefined ? source : undefined;
    let put: CheckedReply;
    try {
        const body = { from: got.res, through: verifying };
        put = await upload(session, target, started.value, blob, body, stall, mountedFrom);
    } catch (e) {
        if (verifying.problem) throw new RegistryProtocolError(verifying.problem, sourceFacts(got));
        const cause = networkCause(e);
        if (cause) throw new RetryableError(cause);
        throw e;
    } finally {
        // Read to the end on success; on an early answer or a failure, stop reading the source.
        got.res.destroy();
    }
    if (verifying.problem) throw new RegistryProtocolError(verifying.problem, sourceFacts(got));
    checkUpload(put, target, blob, attempts);
    session.transferred(target, blob.digest, verifying.bytes);
    return verifying.bytes;
}
