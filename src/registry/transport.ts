import { createHash } from "crypto";
import * as http from "http";
import * as https from "https";
import { Readable, Transform, TransformCallback, pipeline } from "stream";
import { algorithmOf } from "./digest";
import { RegistryProtocolError, printable } from "./errors";
import { ERROR_BODY_BYTES, TooLarge } from "./limits";
import { checkedUrl } from "./origin";
import type { Stall } from "./timing";

/*
 * The byte path of blob transfers: node:http(s) exchanges whose bodies stream, and the hash check a
 * streamed blob passes through. The protocol (auth, retries, status handling) is the session's and
 * upload.ts's.
 */

/**
 * Passes a blob's bytes through while hashing them, always one chunk behind: the last chunk goes out
 * only once the whole blob hashed to `digest` and has the descriptor's size. So an upload fed by it
 * never receives its full Content-Length of wrong bytes and cannot complete under the wrong name.
 */
export class VerifyingStream extends Transform {
    bytes = 0;
    /** Set when the bytes are not the blob's: the copy fails with this text. */
    problem: string | undefined;
    private readonly hash: ReturnType<typeof createHash>;
    private held: Buffer | undefined;

    constructor(
        private readonly blob: { digest: string; size: number },
        private readonly what: string,
        /** The transfer's watchdog: every chunk is progress, the end means the upload is all sent. */
        private readonly stall?: Stall,
        /** Hears the bytes read so far, as each chunk passes. */
        private readonly onBytes?: (read: number) => void,
    ) {
        super();
        this.hash = createHash(algorithmOf(blob.digest));
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
        this.stall?.moved();
        this.hash.update(chunk);
        this.bytes += chunk.length;
        this.onBytes?.(this.bytes);
        if (this.bytes > this.blob.size) {
            done(this.fail(`is larger than its descriptor's ${this.blob.size} bytes`));
            return;
        }
        const previous = this.held;
        this.held = chunk;
        done(null, previous);
    }

    override _flush(done: TransformCallback): void {
        this.stall?.sent(this.bytes);
        const got = `${algorithmOf(this.blob.digest)}:${this.hash.digest("hex")}`;
        if (got !== this.blob.digest) {
            done(this.fail(`has content digest ${got} (${this.bytes} bytes read)`));
        } else if (this.bytes !== this.blob.size) {
            done(this.fail(`has ${this.bytes} bytes, its descriptor says ${this.blob.size}`));
        } else {
            done(null, this.held);
        }
    }

    private fail(why: string): Error {
        this.problem = `blob ${this.what} ${why}; nothing was written under ${this.blob.digest}`;
        return new Error(this.problem);
    }
}

/** Passes an upload through, telling the transfer's watchdog (and `onBytes`) as chunks go. */
export class Progress extends Transform {
    private sent = 0;

    constructor(
        private readonly stall: Stall,
        private readonly size: number,
        private readonly onBytes?: (sent: number) => void,
    ) {
        super();
    }

    static body(bytes: Buffer, stall: Stall): { from: Readable; through: Transform } {
        const chunks = Array.from({ length: Math.ceil(bytes.length / CHUNK) }, (_, i) =>
            bytes.subarray(i * CHUNK, (i + 1) * CHUNK),
        );
        return { from: Readable.from(chunks), through: new Progress(stall, bytes.length) };
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
        this.stall.moved();
        this.sent += chunk.length;
        this.onBytes?.(this.sent);
        done(null, chunk);
    }

    override _flush(done: TransformCallback): void {
        this.stall.sent(this.size);
        done();
    }
}

const CHUNK = 256 * 1024;

/**
 * A network-level failure worth another try, as the text a message shows: a request its signal
 * aborted (the timeout), or the errno of a node:http failure (or the one its `cause` carries).
 */
export function networkCause(e: unknown): string | undefined {
    const err = e as { name?: string; code?: string; cause?: { code?: string } } | undefined;
    if (err?.name === "TimeoutError" || err?.name === "AbortError") return "request timed out";
    return err?.cause?.code || err?.code;
}

/** How long a body waits for "100 Continue" before it goes anyway (curl's 1 s): for a server that ignores Expect. */
export const CONTINUE_WAIT_MS = 1000;

/**
 * One node:http(s) exchange, resolved at the reply's headers with its body unread. Blob bytes go
 * through here rather than fetch, whose web streams cost more CPU than the copy itself: measured on
 * 100 MB, a streamed copy took ~0.4 s of CPU instead of ~0.65 s, and a Buffer upload ~0.1 s instead
 * of ~0.33 s (fetch stays for everything small, where its redirect and auth handling is all we need).
 * A streamed body asks `Expect: 100-continue` first: a proxy that refuses its size (nginx's 413)
 * then answers before any byte is sent. Sent straight away, the body meets a closed connection, and
 * node reports EPIPE and never the 413 that explains it.
 */
export function exchange(
    url: URL,
    method: string,
    headers: Record<string, string>,
    signal: AbortSignal,
    body?: Buffer | { from: Readable; through: Transform },
): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
        const send = url.protocol === "https:" ? https.request : http.request;
        if (body === undefined || Buffer.isBuffer(body)) {
            const req = send(url, { method, headers, signal }, resolve);
            req.on("error", reject);
            req.end(body);
            return;
        }
        let started = false;
        const req = send(url, { method, headers: { ...headers, Expect: "100-continue" }, signal }, (res) => {
            clearTimeout(timer);
            if (!started) {
                // Answered before the body: it is never sent, and the connection goes with the reply.
                started = true;
                body.from.destroy();
                res.on("close", () => req.destroy());
            }
            resolve(res);
        });
        req.on("error", reject);
        const start = (): void => {
            if (started) return;
            started = true;
            clearTimeout(timer);
            // Once the reply is in, a later pipe failure (an early answer) is the reply's business.
            pipeline(body.from, body.through, req, (e) => e && reject(e));
        };
        const timer = setTimeout(start, CONTINUE_WAIT_MS);
        req.on("continue", start);
    });
}

/**
 * An upload's answer, whole unless it runs past ERROR_BODY_BYTES (then its start: it only says why).
 * A reply cut short (the connection dropped) rejects like a reset.
 */
export function readAll(res: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        let enough = false;
        res.on("data", (c: Buffer) => {
            chunks.push(c);
            bytes += c.length;
            if (bytes >= ERROR_BODY_BYTES && !enough) {
                enough = true;
                res.destroy();
                resolve(Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES));
            }
        });
        res.on("end", () => resolve(Buffer.concat(chunks)));
        res.on("error", (e) => enough || reject(e));
        res.on("close", () => {
            if (!res.complete && !enough)
                reject(Object.assign(new Error("reply cut short"), { code: "ECONNRESET" }));
        });
    });
}

/**
 * A reply's body, at most `max` bytes: past the cap `truncate` keeps the first `max` (an error body:
 * only its start matters), otherwise TooLarge. The connection is dropped either way, so the rest is
 * never received into memory. `onChunk` sees every chunk (a transfer's stall timer). A reply cut short
 * rejects like a reset.
 */
export function readCappedMessage(
    res: http.IncomingMessage,
    max: number,
    truncate: boolean,
    onChunk?: () => void,
): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        let settled = false;
        const settle = (f: () => void): void => {
            if (settled) return;
            settled = true;
            f();
        };
        if (!truncate && Number(res.headers["content-length"] ?? NaN) > max) {
            res.destroy();
            settle(() => reject(new TooLarge()));
            return;
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on("data", (c: Buffer) => {
            if (settled) return;
            onChunk?.();
            chunks.push(c);
            bytes += c.length;
            if (bytes <= max) return;
            res.destroy();
            if (truncate) settle(() => resolve(Buffer.concat(chunks).subarray(0, max)));
            else settle(() => reject(new TooLarge()));
        });
        res.on("end", () => settle(() => resolve(Buffer.concat(chunks))));
        res.on("error", (e) => settle(() => reject(e)));
        res.on("close", () => {
            if (!res.complete)
                settle(() => reject(Object.assign(new Error("reply cut short"), { code: "ECONNRESET" })));
        });
    });
}

/**
 * Reads at most ERROR_BODY_BYTES of a reply whose body only says something (a refusal, an upload's
 * answer), then lets the rest go.
 */
export function readErrorBody(res: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        const done = (): void => resolve(Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES));
        res.on("data", (c: Buffer) => {
            chunks.push(c);
            bytes += c.length;
            if (bytes >= ERROR_BODY_BYTES) {
                res.destroy();
                done();
            }
        });
        res.on("end", done);
        // A body cut short still says what it said: the status is what matters.
        res.on("error", done);
        res.on("close", done);
    });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GET following redirects, as fetch does: registries send blob reads to storage (S3, GCS, a CDN) on
 * another host, which must not see the registry's Authorization. Resolves at the last reply's headers,
 * with the URL it came from.
 */
export function getFollowing(
    url: string,
    auth: string | undefined,
    signal: AbortSignal,
): Promise<{ res: http.IncomingMessage; url: URL }> {
    return sendFollowing("GET", url, {}, auth, signal);
}

/** Headers that describe a request's body: they go when a redirect turns the request into a GET. */
const BODY_HEADERS = new Set(["content-encoding", "content-language", "content-location", "content-type"]);

/**
 * The request a redirect leads to, by fetch's rules: a 303 (and a 301 or 302 of a POST) becomes a
 * bodiless GET; every other redirect keeps the method and the body.
 */
export function redirected(
    status: number,
    method: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
): { method: string; headers: Record<string, string>; body: Buffer | undefined } {
    const toGet =
        (status === 303 && method !== "GET" && method !== "HEAD") || (status <= 302 && method === "POST");
    if (!toGet) return { method, headers, body };
    const kept = Object.entries(headers).filter(([name]) => !BODY_HEADERS.has(name.toLowerCase()));
    return { method: "GET", headers: Object.fromEntries(kept), body: undefined };
}

/**
 * A request whose body (if any) is a small Buffer (a manifest, a token form), following redirects
 * with fetch's rules: Authorization dropped once the request leaves the registry's origin, at most 20
 * hops, redirected() for the method. Every request of the session goes this way rather than through
 * fetch: undici closes the connection after every HEAD (nodejs/undici#258, for servers that send a
 * body anyway), so each HEAD cost a new TCP connection, and a TLS handshake on https, where
 * node:http's keep-alive agent reuses it; a manifest PUT costs ~1 ms less CPU than fetch's; and the
 * process never loads undici (~0.2 s of CPU at its first fetch).
 */
export async function sendFollowing(
    method: string,
    url: string,
    headers: Record<string, string>,
    auth: string | undefined,
    signal: AbortSignal,
    body?: Buffer,
): Promise<{ res: http.IncomingMessage; url: URL }> {
    let at = new URL(url);
    let authorization = auth;
    let request = { method, headers, body };
    let last = { status: 0, statusText: "", url: at };
    for (let hop = 0; hop < 20; hop++) {
        const sent = authorization ? { ...request.headers, Authorization: authorization } : request.headers;
        const res = await exchange(at, request.method, sent, signal, request.body);
        const location = res.headers.location;
        const status = res.statusCode ?? 0;
        if (!REDIRECTS.has(status) || !location) return { res, url: at };
        res.resume();
        last = { status, statusText: printable(res.statusMessage ?? ""), url: at };
        const next = checkedUrl(location, `${request.method} ${url} was redirected to`, {
            base: at.toString(),
        });
        // Once off the registry's origin, never again: fetch's rule too.
        if (next.origin !== at.origin) authorization = undefined;
        request = redirected(status, request.method, request.headers, request.body);
        at = next;
    }
    throw new RegistryProtocolError(`${method} ${url} redirected more than 20 times`, {
        ...last,
        method,
        url: last.url.toString(),
    });
}

/** A node:http reply's headers as fetch's Headers, as the session's replies carry them. */
export function headersOf(res: http.IncomingMessage): Headers {
    const headers = new Headers();
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
        headers.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
    return headers;
}
