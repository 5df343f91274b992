import type { IncomingMessage } from "http";
import { sizeText } from "../release";
import {
    Credential,
    TokenCache,
    basicHeader,
    dockerConfigPath,
    parseWwwAuthenticate,
    readDockerConfigCredential,
} from "./auth";
import { requestToken, tokenUrl } from "./bearer";
import { Repo, registryOrigin } from "./endpoints";
import {
    CheckedReply,
    RegistryAuthError,
    RegistryDeadlineError,
    RegistryError,
    RegistryProtocolError,
    RegistryUnavailableError,
    isTemporaryStatus,
    printable,
} from "./errors";
import {
    BodyLimit,
    DEFAULT_MAX_INDEX_ENTRIES,
    ERROR_BODY_BYTES,
    REPLY_LIMIT,
    TooLarge,
    isTransferSized,
} from "./limits";
import { DEFAULT_RETRY, RetryOptions, RetryableError, withRetry } from "./retry";
import { MetadataDeadline, Stall } from "./timing";
import { headersOf, networkCause, readCappedMessage, sendFollowing } from "./transport";

/*
 * The session: every request's way to a registry and back. It sends (with retries for temporary
 * statuses and network faults), answers a 401's challenge (Basic, or a Bearer token from the realm
 * it names), and remembers what it learned per registry: credentials, tokens, who wants Basic.
 * Like go-containerregistry's transport (ping, basic, bearer, retry), the rest of the client sees
 * only replies. It also holds the origin rule (a registry's credentials go to its own origin and the
 * token realm its own challenge names, nowhere else) and the clocks (timing.ts).
 */

export interface TransferEvent {
    registry: string;
    repository: string;
    digest: string;
    bytes: number;
}

export interface RegistryClientOptions {
    credentials?: Record<string, Credential>;
    dockerConfigPath?: string;
    retry?: Partial<RetryOptions>;
    /** Each metadata request (a manifest, a tags page, a token, referrers) at most this long. Default 30 s. */
    timeoutMs?: number;
    /**
     * Every metadata request of this client together (time during which at least one is in flight)
     * at most this long; then each one, in flight or to come, fails with RegistryDeadlineError.
     * Blob transfers do not count (see `stallTimeoutMs`). The CLI makes one client per command, so
     * this is the command's deadline. Default 120 s.
     */
    deadlineMs?: number;
    /**
     * A blob transfer (multi-GB for ML images, so no total time suits it) is abandoned, and tried
     * again, once no byte has moved for this long. Default 60 s.
     */
    stallTimeoutMs?: number;
    /**
     * The most entries an index may list. Each costs a HEAD and a GET to copy and a line in the PR
     * body; multi-arch images list a handful, with their attestations a few dozen. Default 1024.
     */
    maxIndexEntries?: number;
    onTransfer?: (e: TransferEvent) => void;
}

export interface RequestSpec {
    method: string;
    url: string;
    /** One or more space-separated `repository:<path>:<actions>` scopes. */
    scope: string;
    /** How messages name this request: "HEAD manifest 1.0 in r". */
    what: string;
    /** Quote the reply body when its status refuses the request (writes: it says why). */
    quoteBody?: boolean;
    headers?: Record<string, string>;
    body?: Buffer;
    /**
     * The most a successful reply's body may be; default REPLY_LIMIT (4 MiB). A larger cap makes the
     * request a transfer: the stall timeout applies to it instead of the timeout and the deadline.
     */
    limit?: BodyLimit;
}

/** A reply with its body fully read. */
export interface Reply extends CheckedReply {
    headers: Headers;
    body: Buffer;
}

export class Session {
    readonly retry: RetryOptions;
    readonly timeoutMs: number;
    readonly stallTimeoutMs: number;
    readonly maxIndexEntries: number;
    private readonly deadline: MetadataDeadline;
    private readonly tokens = new TokenCache();
    private readonly creds = new Map<string, Credential | undefined>();
    // Registries that answered with a Basic challenge get credentials up front thereafter.
    private readonly basicRegistries = new Set<string>();

    constructor(private readonly options: RegistryClientOptions = {}) {
        this.retry = { ...DEFAULT_RETRY, ...(options.retry ?? {}) };
        this.timeoutMs = options.timeoutMs ?? 30_000;
        this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
        this.maxIndexEntries = options.maxIndexEntries ?? DEFAULT_MAX_INDEX_ENTRIES;
        this.deadline = new MetadataDeadline(options.deadlineMs ?? 120_000);
    }

    credentialFor(registry: string): Credential | undefined {
        if (!this.creds.has(registry)) {
            const explicit = this.options.credentials?.[registry];
            this.creds.set(
                registry,
                explicit ??
                    readDockerConfigCredential(registry, dockerConfigPath(this.options.dockerConfigPath)),
            );
        }
        return this.creds.get(registry);
    }

    /** One HTTP exchange with retries for temporary statuses and network faults; the body is fully read. */
    send(registry: string, spec: RequestSpec, auth: string | undefined): Promise<Reply> {
        return withRetry(
            this.retry,
            () =>
                isTransferSized(spec.limit ?? REPLY_LIMIT)
                    ? this.stalled((stall) => this.exchange(spec, auth, stall.signal, () => stall.moved()))
                    : this.deadline.run(
                          this.timeoutMs,
                          (signal) => this.exchange(spec, auth, signal),
                          () => new RegistryDeadlineError(spec.what, this.deadline.ms),
                      ),
            (attempts, cause, last) => new RegistryUnavailableError(registry, attempts, cause, last.reply),
        );
    }

    /** Runs one attempt of a transfer under a stall watchdog; once it fired, the failure says so. */
    async stalled<T>(attempt: (stall: Stall) => Promise<T>): Promise<T> {
        const stall = new Stall(this.stallTimeoutMs);
        try {
            return await attempt(stall);
        } catch (e) {
            if (stall.fired) throw new RetryableError(stall.message);
            throw e;
        } finally {
            stall.stop();
        }
    }

    /**
     * One exchange over node:http's keep-alive agent, following redirects as fetch would (see
     * sendFollowing for why not fetch). A HEAD's Content-Length is the size of what it describes (a
     * multi-GB blob), not a body.
     */
    private async exchange(
        spec: RequestSpec,
        auth: string | undefined,
        signal: AbortSignal,
        moved?: () => void,
    ): Promise<Reply> {
        let got: { res: IncomingMessage; url: URL };
        try {
            got = await sendFollowing(spec.method, spec.url, spec.headers ?? {}, auth, signal, spec.body);
        } catch (e) {
            const cause = e instanceof RegistryError ? undefined : networkCause(e);
            if (cause) throw new RetryableError(cause);
            throw e;
        }
        const { res, url } = got;
        const status = res.statusCode ?? 0;
        // node:http hands the reason phrase over as latin1; fetch decoded its bytes as UTF-8, and so do we.
        const reason = Buffer.from(res.statusMessage ?? "", "latin1").toString("utf8");
        const facts = this.facts(spec, url.toString(), status, reason);
        const ok = status >= 200 && status < 300;
        const body =
            spec.method === "HEAD"
                ? (res.resume(), Buffer.alloc(0))
                : await this.body(spec, facts, (limit) =>
                      readCappedMessage(res, ok ? limit : ERROR_BODY_BYTES, !ok, moved),
                  );
        return this.replied({ ...facts, headers: headersOf(res), body });
    }

    /** A reply's body within the request's limit: a refusal's body only says why, so its start is kept. */
    private async body(
        spec: RequestSpec,
        facts: CheckedReply,
        read: (limit: number) => Promise<Buffer>,
    ): Promise<Buffer> {
        const limit = spec.limit ?? REPLY_LIMIT;
        try {
            return await read(limit.bytes);
        } catch (e) {
            if (e instanceof TooLarge) {
                throw new RegistryProtocolError(
                    `${spec.what} answered with more than ${sizeText(limit.bytes)}, the limit for ${limit.what}; refusing it`,
                    facts,
                );
            }
            throw new RetryableError(networkCause(e) ?? "response body interrupted");
        }
    }

    private facts(spec: RequestSpec, url: string, status: number, statusText: string): CheckedReply {
        return {
            method: spec.method,
            url,
            status,
            // A reason phrase may carry C1 controls (obs-text): it reaches messages as is otherwise.
            statusText: printable(statusText),
            what: spec.what,
            ...(spec.quoteBody ? { quoteBody: true } : {}),
        };
    }

    private replied(reply: Reply): Reply {
        if (isTemporaryStatus(reply.status))
            throw new RetryableError(`${reply.status} ${reply.statusText}`, reply);
        return reply;
    }

    /** What a request for `scope` carries before any challenge: a cached token, or Basic if asked before. */
    authorization(registry: string, scope: string): string | undefined {
        const token = this.tokens.get(registry, scope);
        if (token) return `Bearer ${token}`;
        const cred = this.credentialFor(registry);
        if (cred && this.basicRegistries.has(registry)) return basicHeader(cred);
        return undefined;
    }

    /**
     * Sends with whatever auth we have; on a challenge, authenticates and resends, once per origin that
     * challenges (the registry's, then the one a redirect took the request to, if it challenges too).
     */
    async request(registry: string, spec: RequestSpec, throwOnAuth = true): Promise<Reply> {
        let reply = await this.send(registry, spec, this.authorization(registry, spec.scope));
        const answered = new Set<string>();
        while (reply.status === 401 && !answered.has(new URL(reply.url).origin)) {
            answered.add(new URL(reply.url).origin);
            const again = await this.answerChallenge(registry, spec, reply);
            if (!again) break;
            reply = await this.send(registry, again.spec, again.auth);
        }
        if (throwOnAuth && (reply.status === 401 || reply.status === 403)) {
            throw new RegistryAuthError(registry, spec.scope, reply.status, reply);
        }
        return reply;
    }

    /**
     * The request again with what answers a 401's challenge, or undefined when we have nothing to
     * offer. A challenge from the registry's own origin gets its credentials, and they go to the realm
     * it names wherever that is (Docker Hub: registry-1.docker.io names auth.docker.io). A challenge
     * from another origin (a redirect took the request there) is answered anonymously, and the request
     * goes again to where the challenge came from: credentials never follow a redirect to a realm that
     * another origin names (CVE-2020-15157; containerd and go-containerregistry rule it so too).
     */
    private async answerChallenge(
        registry: string,
        spec: RequestSpec,
        reply: Reply,
    ): Promise<{ spec: RequestSpec; auth: string } | undefined> {
        const challenge = parseWwwAuthenticate(reply.headers.get("www-authenticate") ?? "");
        const at = new URL(reply.url);
        const home = at.origin === registryOrigin(registry);
        if (challenge.scheme === "bearer" && challenge.params.realm) {
            const token = await this.bearer(registry, at, home, challenge.params, spec.scope, reply);
            return { spec: home ? spec : { ...spec, url: reply.url }, auth: `Bearer ${token}` };
        }
        const cred = this.credentialFor(registry);
        if (!home || challenge.scheme !== "basic" || !cred) return undefined;
        this.basicRegistries.add(registry);
        return { spec, auth: basicHeader(cred) };
    }

    /**
     * A token for the scope the challenge names (or the request's), cached under both. Another
     * origin's tokens are cached under that origin, so none goes to the registry up front.
     */
    private async bearer(
        registry: string,
        challenger: URL,
        home: boolean,
        params: Record<string, string>,
        requestScope: string,
        reply: Reply,
    ): Promise<string> {
        const key = home ? registry : challenger.origin;
        const scope = params.scope ?? requestScope;
        const cached = this.tokens.get(key, scope);
        if (cached) return cached;
        const url = tokenUrl(registry, challenger, params, scope, reply);
        const send = (s: RequestSpec, auth: string | undefined): Promise<Reply> =>
            this.send(registry, s, auth);
        const credential = home ? this.credentialFor(registry) : undefined;
        const t = await requestToken(send, registry, url, scope, credential);
        this.tokens.set(key, scope, t.token, t.expiresIn);
        // Cache under the scope we asked for too, so the next request sends the token up front.
        if (requestScope !== scope) this.tokens.set(key, requestScope, t.token, t.expiresIn);
        return t.token;
    }

    transferred(repo: Repo, digest: string, bytes: number): void {
        this.options.onTransfer?.({ registry: repo.registry, repository: repo.name, digest, bytes });
    }
}
