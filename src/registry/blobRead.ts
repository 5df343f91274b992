import * as http from "http";
import { Readable } from "stream";
import { Repo, blobUrl, pullScope, repoOf, requireContentDigest } from "./endpoints";
import {
    BlobNotFoundError,
    CheckedReply,
    RegistryAuthError,
    RegistryError,
    RegistryProtocolError,
    RegistryUnavailableError,
    ReplyFacts,
    printable,
    statusError,
} from "./errors";
import { RetryableError, withRetry } from "./retry";
import type { Session } from "./session";
import { VerifyingStream, getFollowing, networkCause, readErrorBody } from "./transport";

/*
 * A blob's bytes read as a stream (a layer can be many GB): the GET (following redirects to storage,
 * without the registry's credentials off its origin), checked against the digest as it is read.
 * copyBlob pipes it into an upload; readBlobStream hands it to a consumer (the SBOM's tar reader).
 */

/**
 * A blob's GET with its body unread. Auth comes from what the session already learned; a challenge
 * is answered there (a HEAD), and the GET is sent once more with what it learned.
 */
export async function openBlob(
    session: Session,
    source: Repo,
    digest: string,
    signal: AbortSignal,
): Promise<{ res: http.IncomingMessage; url: URL }> {
    const url = blobUrl(source, digest);
    const scope = pullScope(source);
    const what = `GET blob ${digest} in ${source.name}`;
    let got: { res: http.IncomingMessage; url: URL };
    try {
        got = await getFollowing(url, session.authorization(source.registry, scope), signal);
        if (got.res.statusCode === 401) {
            got.res.resume();
            await session.request(source.registry, { method: "HEAD", url, scope, what });
            got = await getFollowing(url, session.authorization(source.registry, scope), signal);
        }
    } catch (e) {
        const cause = e instanceof RegistryError ? undefined : networkCause(e);
        if (cause) throw new RetryableError(cause);
        throw e;
    }
    const status = got.res.statusCode ?? 0;
    if (status === 200) return got;
    const reply: CheckedReply = {
        method: "GET",
        url: got.url.toString(),
        status,
        statusText: printable(got.res.statusMessage ?? ""),
        body: await readErrorBody(got.res),
        what,
    };
    if (status === 404) throw new BlobNotFoundError(source.name, digest, reply);
    if (status === 401 || status === 403) throw new RegistryAuthError(source.registry, scope, status, reply);
    const refused = statusError(reply);
    if (refused.temporary) throw new RetryableError(`${status} ${reply.statusText}`.trim(), reply);
    throw refused;
}

/** The source's reply, for a refusal of the bytes it sent. */
export function sourceFacts(got: { res: http.IncomingMessage; url: URL }): ReplyFacts {
    const status = got.res.statusCode ?? 0;
    return {
        method: "GET",
        url: got.url.toString(),
        status,
        statusText: printable(got.res.statusMessage ?? ""),
    };
}

/**
 * Reads one blob as a stream: `consume` gets its bytes, checked on the way (the last chunk comes only
 * once the whole blob hashed to its digest), and must read them to the end. A transfer cut short, or
 * bytes that are not the blob, fail the attempt; an interrupted read starts over with a fresh GET.
 * What `consume` throws of its own (the bytes were fine, it could not use them) is thrown as is.
 */
export async function readBlobStream<T>(
    session: Session,
    name: string,
    blob: { digest: string; size: number },
    consume: (bytes: Readable) => Promise<T>,
): Promise<T> {
    const source = repoOf(name);
    requireContentDigest(blob.digest);
    return withRetry(
        session.retry,
        () =>
            session.stalled(async (stall) => {
                const got = await openBlob(session, source, blob.digest, stall.signal);
                const verifying = new VerifyingStream(blob, `${source.name}@${blob.digest}`, stall);
                let cut: Error | undefined;
                got.res.on("error", (e) => verifying.destroy((cut = e)));
                got.res.on("close", () => {
                    if (!got.res.complete) verifying.destroy((cut ??= new Error("reply cut short")));
                });
                got.res.pipe(verifying);
                try {
                    const r = await consume(verifying);
                    if (verifying.problem)
                        throw new RegistryProtocolError(verifying.problem, sourceFacts(got));
                    return r;
                } catch (e) {
                    if (verifying.problem)
                        throw new RegistryProtocolError(verifying.problem, sourceFacts(got));
                    if (cut) throw new RetryableError(networkCause(cut) ?? cut.message);
                    throw e;
                } finally {
                    got.res.destroy();
                }
            }),
        (n, cause, last) =>
            new RegistryUnavailableError(
                source.registry,
                n,
                `reading blob ${blob.digest} of ${source.name}: ${cause}`,
                last.reply,
            ),
    );
}
