import {
    Credential,
    TokenCache,
    basicHeader,
    dockerConfigPath,
    parseWwwAuthenticate,
    readDockerConfigCredential,
} from "./auth";
import { requestToken } from "./bearer";
import type { Repo } from "./endpoints";
import { CheckedReply, RegistryAuthError, RegistryUnavailableError, isTemporaryStatus } from "./errors";
import { DEFAULT_RETRY, RetryOptions, RetryableError, describeNetworkError, withRetry } from "./retry";

/*
 * The session: every request's way to a registry and back. It sends (with retries for temporary
 * statuses and network faults), answers a 401's challenge (Basic, or a Bearer token from the realm
 * it names), and remembers what it learned per registry: credentials, tokens, who wants Basic.
 * Like go-containerregistry's transport (ping, basic, bearer, retry), the rest of the client sees
 * only replies.
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
    timeoutMs?: number;
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
}

/** A reply with its body fully read. */
export interface Reply extends CheckedReply {
    headers: Headers;
    body: Buffer;
}

export class Session {
    readonly retry: RetryOptions;
    readonly timeoutMs: number;
    private readonly tokens = new TokenCache();
    private readonly creds = new Map<string, Credential | undefined>();
    // Registries that answered with a Basic challenge get credentials up front thereafter.
    private readonly basicRegistries = new Set<string>();

    constructor(private readonly options: RegistryClientOptions = {}) {
        this.retry = { ...DEFAULT_RETRY, ...(options.retry ?? {}) };
        this.timeoutMs = options.timeoutMs ?? 30_000;
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
            () => this.exchange(spec, auth),
            (attempts, cause, last) => new RegistryUnavailableError(registry, attempts, cause, last.reply),
        );
    }

    private async exchange(spec: RequestSpec, auth: string | undefined): Promise<Reply> {
        let res: Response;
        try {
            res = await fetch(spec.url, {
                method: spec.method,
                headers: { ...(spec.headers ?? {}), ...(auth ? { Authorization: auth } : {}) },
                body: spec.body,
                // fetch drops Authorization when a redirect leaves the origin.
                redirect: "follow",
                signal: AbortSignal.timeout(this.timeoutMs),
            });
        } catch (e) {
            const cause = describeNetworkError(e);
            if (cause) throw new RetryableError(cause);
            throw e;
        }
        let body: Buffer;
        try {
            body = Buffer.from(await res.arrayBuffer());
        } catch (e) {
            throw new RetryableError(describeNetworkError(e) ?? "response body interrupted");
        }
        const reply: Reply = {
            method: spec.method,
            url: res.url || spec.url,
            status: res.status,
            statusText: res.statusText,
            headers: res.headers,
            body,
            what: spec.what,
            ...(spec.quoteBody ? { quoteBody: true } : {}),
        };
        if (isTemporaryStatus(res.status)) throw new RetryableError(`${res.status} ${res.statusText}`, reply);
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

    /** Sends with whatever auth we have; on a challenge, authenticates once and resends. */
    async request(registry: string, spec: RequestSpec, throwOnAuth = true): Promise<Reply> {
        let reply = await this.send(registry, spec, this.authorization(registry, spec.scope));
        if (reply.status === 401) {
            const auth = await this.answerChallenge(registry, reply, spec.scope);
            if (auth) reply = await this.send(registry, spec, auth);
        }
        if (throwOnAuth && (reply.status === 401 || reply.status === 403)) {
            throw new RegistryAuthError(registry, spec.scope, reply.status, reply);
        }
        return reply;
    }

    /** The Authorization that answers a 401's challenge, or undefined when we have nothing to offer. */
    private async answerChallenge(
        registry: string,
        reply: Reply,
        scope: string,
    ): Promise<string | undefined> {
        const challenge = parseWwwAuthenticate(reply.headers.get("www-authenticate") ?? "");
        if (challenge.scheme === "bearer" && challenge.params.realm) {
            return `Bearer ${await this.bearer(registry, challenge.params, scope)}`;
        }
        const cred = this.credentialFor(registry);
        if (challenge.scheme !== "basic" || !cred) return undefined;
        this.basicRegistries.add(registry);
        return basicHeader(cred);
    }

    /** A token for the scope the challenge names (or the request's), cached under both. */
    private async bearer(
        registry: string,
        params: Record<string, string>,
        requestScope: string,
    ): Promise<string> {
        const scope = params.scope ?? requestScope;
        const cached = this.tokens.get(registry, scope);
        if (cached) return cached;
        const send = (spec: RequestSpec, auth: string | undefined): Promise<Reply> =>
            this.send(registry, spec, auth);
        const t = await requestToken(send, registry, params, scope, this.credentialFor(registry));
        this.tokens.set(registry, scope, t.token, t.expiresIn);
        // Cache under the scope we asked for too, so the next request sends the token up front.
        if (requestScope !== scope) this.tokens.set(registry, requestScope, t.token, t.expiresIn);
        return t.token;
    }

    /** Generous for slow links, yet a stalled transfer still ends: at least 1 MiB/s after the first 30 s. */
    transferTimeout(size: number): number {
        return this.timeoutMs + Math.ceil(size / 1024);
    }

    transferred(repo: Repo, digest: string, bytes: number): void {
        this.options.onTransfer?.({ registry: repo.registry, repository: repo.name, digest, bytes });
    }
}
