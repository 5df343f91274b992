import * as http from "http";
import { Readable, Transform } from "stream";
import { isDigest, isImmutableTag, isTag, parseReference } from "../release";
import {
    Credential,
    TokenCache,
    basicHeader,
    dockerConfigPath,
    parseWwwAuthenticate,
    readDockerConfigCredential,
} from "./auth";
import {
    ImageConfig,
    ImageDescription,
    describeFrom,
    entryFromConfig,
    entryFromDescriptor,
    platformDescriptors,
    normalizePlatform,
} from "./describe";
import { sha256Digest } from "./digest";
import {
    ImmutableTagError,
    MalformedManifestError,
    ManifestNotFoundError,
    MissingPlatformError,
    PartialTagError,
    RegistryAuthError,
    RegistryError,
    RegistryProtocolError,
    RegistryUnavailableError,
} from "./errors";
import { MANIFEST_ACCEPT, Manifest, OCI_INDEX, isIndexMediaType } from "./mediatypes";
import { DEFAULT_RETRY, RetryOptions, RetryableError, describeNetworkError, withRetry } from "./retry";
import { exchange, getFollowing, networkCause, readAll, VerifyingStream } from "./transport";

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

export interface RetagResult {
    tag: string;
    digest: string;
    previousDigest?: string;
}

interface Repo {
    registry: string;
    path: string;
    name: string;
}

/** What the caller already read from the target repository, so applyTags sends no read of its own. */
export interface KnownTagState {
    /** `getManifest(name, digest)` from this very repository: its content digest is already checked. */
    manifest: Manifest;
    /** HEAD of requested tags (`undefined`: the tag does not exist); a tag missing here is read. */
    heads: ReadonlyMap<string, { digest: string } | undefined>;
}

interface Reply {
    status: number;
    statusText: string;
    headers: Headers;
    body: Buffer;
    url: string;
}

interface RequestSpec {
    method: string;
    url: string;
    /** One or more space-separated `repository:<path>:<actions>` scopes. */
    scope: string;
    headers?: Record<string, string>;
    body?: Buffer;
}

function isLoopback(host: string): boolean {
    return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Loopback registries speak plain http (local dev); everything else must be https. */
export function registryBaseUrl(registry: string): string {
    if (registry === "docker.io") return "https://registry-1.docker.io";
    const host = registry.startsWith("[")
        ? registry.slice(0, registry.indexOf("]") + 1)
        : registry.split(":")[0];
    return `${isLoopback(host) ? "http" : "https"}://${registry}`;
}

function repoOf(name: string): Repo {
    const r = parseReference(name);
    if (r.tag || r.digest) throw new RegistryError(`repository "${name}" must not carry a tag or digest`);
    return { registry: r.registry, path: r.path, name: r.name };
}

function pushScope(repo: Repo): string {
    return `repository:${repo.path}:pull,push`;
}

/** The upload session URL with the digest that closes it (monolithic PUT). */
function uploadUrl(session: string, digest: string): string {
    const url = new URL(session);
    url.searchParams.set("digest", digest);
    return url.toString();
}

function mountScope(target: Repo, sourcePath: string): string {
    return `${pushScope(target)} repository:${sourcePath}:pull`;
}

export class RegistryClient {
    private readonly retry: RetryOptions;
    private readonly timeoutMs: number;
    private readonly tokens = new TokenCache();
    private readonly creds = new Map<string, Credential | undefined>();
    // Registries that answered with a Basic challenge get credentials up front thereafter.
    private readonly basicRegistries = new Set<string>();

    constructor(private readonly options: RegistryClientOptions = {}) {
        this.retry = { ...DEFAULT_RETRY, ...(options.retry ?? {}) };
        this.timeoutMs = options.timeoutMs ?? 30_000;
    }

    private credentialFor(registry: string): Credential | undefined {
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

    /** One HTTP exchange with retries for 5xx and network faults; the body is fully read. */
    private async send(registry: string, spec: RequestSpec, auth: string | undefined): Promise<Reply> {
        return withRetry(
            this.retry,
            async () => {
                let res: Response;
                try {
                    res = await fetch(spec.url, {
                        method: spec.method,
                        headers: { ...(spec.headers ?? {}), ...(auth ? { Authorization: auth } : {}) },
                        body: spec.body,
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
                if (res.status >= 500) throw new RetryableError(`${res.status} ${res.statusText}`);
                return {
                    status: res.status,
                    statusText: res.statusText,
                    headers: res.headers,
                    body,
                    url: res.url,
                };
            },
            (attempts, cause) => new RegistryUnavailableError(registry, attempts, cause),
        );
    }

    private async fetchToken(
        registry: string,
        params: Record<string, string>,
        scope: string,
        requestScope: string,
    ): Promise<string> {
        const cached = this.tokens.get(registry, scope);
        if (cached) return cached;
        const url = new URL(params.realm);
        if (params.service) url.searchParams.set("service", params.service);
        // A cross-repository mount needs push on one repository and pull on another: one param each.
        for (const one of scope.split(" ").filter((x) => x !== "")) url.searchParams.append("scope", one);
        const cred = this.credentialFor(registry);
        const reply = await this.send(
            registry,
            { method: "GET", url: url.toString(), scope },
            cred ? basicHeader(cred) : undefined,
        );
        if (reply.status === 401 || reply.status === 403)
            throw new RegistryAuthError(registry, scope, reply.status);
        if (reply.status !== 200) {
            throw new RegistryProtocolError(
                `token endpoint for ${registry} answered ${reply.status} ${reply.statusText}`,
            );
        }
        let json: { token?: string; access_token?: string; expires_in?: number };
        try {
            json = JSON.parse(reply.body.toString("utf8")) as typeof json;
        } catch {
            throw new RegistryProtocolError(`token endpoint for ${registry} did not return JSON`);
        }
        const token = json.token ?? json.access_token;
        if (!token) throw new RegistryProtocolError(`token endpoint for ${registry} returned no token`);
        this.tokens.set(registry, scope, token, json.expires_in);
        // Cache under the scope we asked for too, so the next request sends the token up front.
        if (requestScope !== scope) this.tokens.set(registry, requestScope, token, json.expires_in);
        return token;
    }

    private async preemptiveAuth(registry: string, scope: string): Promise<string | undefined> {
        const token = this.tokens.get(registry, scope);
        if (token) return `Bearer ${token}`;
        const cred = this.credentialFor(registry);
        if (cred && this.basicRegistries.has(registry)) return basicHeader(cred);
        return undefined;
    }

    /** Sends with whatever auth we have; on a challenge, authenticates once and resends. */
    private async request(registry: string, spec: RequestSpec, throwOnAuth = true): Promise<Reply> {
        let reply = await this.send(registry, spec, await this.preemptiveAuth(registry, spec.scope));
        if (reply.status === 401) {
            const challenge = parseWwwAuthenticate(reply.headers.get("www-authenticate") ?? "");
            let auth: string | undefined;
            if (challenge.scheme === "bearer" && challenge.params.realm) {
                auth = `Bearer ${await this.fetchToken(registry, challenge.params, challenge.params.scope ?? spec.scope, spec.scope)}`;
            } else if (challenge.scheme === "basic") {
                const cred = this.credentialFor(registry);
                if (cred) {
                    this.basicRegistries.add(registry);
                    auth = basicHeader(cred);
                }
            }
            if (auth) reply = await this.send(registry, spec, auth);
        }
        if (throwOnAuth && (reply.status === 401 || reply.status === 403)) {
            throw new RegistryAuthError(registry, spec.scope, reply.status);
        }
        return reply;
    }

    async ping(registry: string): Promise<number> {
        const reply = await this.request(
            registry,
            { method: "GET", url: `${registryBaseUrl(registry)}/v2/`, scope: "" },
            false,
        );
        return reply.status;
    }

    private manifestUrl(repo: Repo, reference: string): string {
        return `${registryBaseUrl(repo.registry)}/v2/${repo.path}/manifests/${reference}`;
    }

    async headManifest(
        name: string,
        reference: string,
    ): Promise<{ mediaType: string; digest: string; size: number } | undefined> {
        const repo = repoOf(name);
        const reply = await this.request(repo.registry, {
            method: "HEAD",
            url: this.manifestUrl(repo, reference),
            scope: `repository:${repo.path}:pull`,
            headers: { Accept: MANIFEST_ACCEPT },
        });
        if (reply.status === 404) return undefined;
        if (reply.status !== 200) {
            throw new RegistryProtocolError(
                `HEAD manifest ${reference} in ${repo.name} answered ${reply.status} ${reply.statusText}`,
            );
        }
        const digest = reply.headers.get("docker-content-digest");
        if (!digest)
            throw new RegistryProtocolError(
                `HEAD manifest ${reference} in ${repo.name} gave no Docker-Content-Digest`,
            );
        return {
            mediaType: (reply.headers.get("content-type") ?? "").split(";")[0].trim(),
            digest,
            size: Number(reply.headers.get("content-length") ?? 0),
        };
    }

    async getManifest(name: string, reference: string): Promise<Manifest> {
        const repo = repoOf(name);
        const reply = await this.request(repo.registry, {
            method: "GET",
            url: this.manifestUrl(repo, reference),
            scope: `repository:${repo.path}:pull`,
            headers: { Accept: MANIFEST_ACCEPT },
        });
        if (reply.status === 404) throw new ManifestNotFoundError(repo.name, reference);
        if (reply.status !== 200) {
            throw new RegistryProtocolError(
                `GET manifest ${reference} in ${repo.name} answered ${reply.status} ${reply.statusText}`,
            );
        }
        let json: Manifest["json"];
        try {
            json = JSON.parse(reply.body.toString("utf8")) as Manifest["json"];
        } catch (e) {
            throw new MalformedManifestError(repo.name, reference, (e as Error).message);
        }
        if (typeof json !== "object" || json === null || Array.isArray(json)) {
            throw new MalformedManifestError(repo.name, reference, "top level is not an object");
        }
        const digest = sha256Digest(reply.body);
        if (reference.startsWith("sha256:") && digest !== reference) {
            throw new RegistryProtocolError(
                `manifest ${reference} in ${repo.name} has content digest ${digest}`,
            );
        }
        const header = (reply.headers.get("content-type") ?? "").split(";")[0].trim();
        const mediaType = typeof json.mediaType === "string" ? json.mediaType : header;
        return { mediaType, digest, bytes: reply.body, json };
    }

    async putManifest(name: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
        const repo = repoOf(name);
        const expected = sha256Digest(bytes);
        if (reference.startsWith("sha256:") && reference !== expected) {
            throw new RegistryError(`manifest bytes have digest ${expected}, not ${reference}`);
        }
        const reply = await this.request(repo.registry, {
            method: "PUT",
            url: this.manifestUrl(repo, reference),
            scope: `repository:${repo.path}:pull,push`,
            headers: { "Content-Type": mediaType },
            body: bytes,
        });
        if (reply.status !== 201 && reply.status !== 200) {
            throw new RegistryProtocolError(
                `PUT manifest ${reference} in ${repo.name} answered ${reply.status} ${reply.statusText}: ${reply.body.toString("utf8").slice(0, 300)}`,
            );
        }
        const returned = reply.headers.get("docker-content-digest");
        if (returned && returned !== expected) {
            throw new RegistryProtocolError(
                `PUT manifest ${reference} in ${repo.name}: registry stored ${returned}, expected ${expected}`,
            );
        }
        return expected;
    }

    async hasBlob(name: string, digest: string): Promise<boolean> {
        const repo = repoOf(name);
        const reply = await this.request(repo.registry, {
            method: "HEAD",
            url: `${registryBaseUrl(repo.registry)}/v2/${repo.path}/blobs/${digest}`,
            scope: `repository:${repo.path}:pull`,
        });
        if (reply.status === 200) return true;
        if (reply.status === 404) return false;
        throw new RegistryProtocolError(
            `HEAD blob ${digest} in ${repo.name} answered ${reply.status} ${reply.statusText}`,
        );
    }

    async getBlob(name: string, digest: string): Promise<Buffer> {
        const repo = repoOf(name);
        const reply = await this.request(repo.registry, {
            method: "GET",
            url: `${registryBaseUrl(repo.registry)}/v2/${repo.path}/blobs/${digest}`,
            scope: `repository:${repo.path}:pull`,
        });
        if (reply.status === 404) throw new ManifestNotFoundError(repo.name, digest);
        if (reply.status !== 200)
            throw new RegistryProtocolError(
                `GET blob ${digest} in ${repo.name} answered ${reply.status} ${reply.statusText}`,
            );
        if (sha256Digest(reply.body) !== digest)
            throw new RegistryProtocolError(`blob ${digest} in ${repo.name} has wrong content digest`);
        return reply.body;
    }

    /** Monolithic upload; skipped when the blob already exists so re-pushes move no bytes. */
    async pushBlob(name: string, bytes: Buffer): Promise<{ digest: string; uploaded: boolean }> {
        const repo = repoOf(name);
        const digest = sha256Digest(bytes);
        if (await this.hasBlob(name, digest)) return { digest, uploaded: false };
        const unauthorized = { once: false };
        await withRetry(
            this.retry,
            async () => {
                const session = await this.startUpload(repo);
                let put: { status: number; statusText: string; body: Buffer };
                try {
                    put = await this.upload(repo, session.url, digest, bytes.length, bytes);
                } catch (e) {
                    const cause = networkCause(e);
                    if (cause) throw new RetryableError(cause);
                    throw e;
                }
                this.checkUpload(put, repo, digest, unauthorized);
            },
            (attempts, cause) => new RegistryUnavailableError(repo.registry, attempts, cause),
        );
        this.transferred(repo, digest, bytes.length);
        return { digest, uploaded: true };
    }

    /**
     * The PUT that closes an upload session, through node:http: fetch copies a Buffer or a stream body
     * through web streams at several times the CPU. The POST that opened the session (here, or in
     * mountBlob with the source's scope too) settled which Authorization to send.
     */
    private async upload(
        target: Repo,
        session: string,
        digest: string,
        size: number,
        body: Buffer | { from: Readable; through: Transform },
        signal = AbortSignal.timeout(this.transferTimeout(size)),
        mountedFrom?: Repo,
    ): Promise<{ status: number; statusText: string; body: Buffer }> {
        const auth =
            (await this.preemptiveAuth(target.registry, pushScope(target))) ??
            (mountedFrom
                ? await this.preemptiveAuth(target.registry, mountScope(target, mountedFrom.path))
                : undefined);
        const put = await exchange(
            new URL(uploadUrl(session, digest)),
            "PUT",
            {
                "Content-Type": "application/octet-stream",
                "Content-Length": String(size),
                ...(auth ? { Authorization: auth } : {}),
            },
            signal,
            body,
        );
        return { status: put.statusCode ?? 0, statusText: put.statusMessage ?? "", body: await readAll(put) };
    }

    /** Throws unless the upload answered 201; what is worth another attempt throws RetryableError. */
    private checkUpload(
        put: { status: number; statusText: string; body: Buffer },
        target: Repo,
        digest: string,
        unauthorized: { once: boolean },
    ): void {
        if (put.status === 201) return;
        if (put.status === 401 && !unauthorized.once) {
            // A token that lapsed mid-transfer: the next attempt's POST authenticates afresh.
            unauthorized.once = true;
            throw new RetryableError("401 Unauthorized on upload");
        }
        if (put.status === 401 || put.status === 403) {
            throw new RegistryAuthError(target.registry, pushScope(target), put.status);
        }
        if (put.status >= 500) throw new RetryableError(`${put.status} ${put.statusText}`);
        throw new RegistryProtocolError(
            `uploading blob ${digest} to ${target.name} answered ${put.status} ${put.statusText}: ${put.body.toString("utf8").slice(0, 300)}`,
        );
    }

    /** Generous for slow links, yet a stalled transfer still ends: at least 1 MiB/s after the first 30 s. */
    private transferTimeout(size: number): number {
        return this.timeoutMs + Math.ceil(size / 1024);
    }

    private transferred(repo: Repo, digest: string, bytes: number): void {
        this.options.onTransfer?.({ registry: repo.registry, repository: repo.name, digest, bytes });
    }

    /** Opens an upload session; its absolute URL is where the bytes go. */
    private async startUpload(repo: Repo, query = ""): Promise<{ status: number; url: string }> {
        const base = registryBaseUrl(repo.registry);
        const from = /[?&]from=([^&]+)/.exec(query)?.[1];
        const start = await this.request(repo.registry, {
            method: "POST",
            url: `${base}/v2/${repo.path}/blobs/uploads/${query}`,
            scope: from ? mountScope(repo, decodeURIComponent(from)) : pushScope(repo),
        });
        const location = start.headers.get("location");
        if ((start.status !== 202 && start.status !== 201) || !location) {
            throw new RegistryProtocolError(
                `starting blob upload in ${repo.name} answered ${start.status} ${start.statusText}`,
            );
        }
        return { status: start.status, url: new URL(location, base).toString() };
    }

    /**
     * Cross-repository mount (same registry): the registry links the blob into `to` without moving a
     * byte. A registry that cannot mount (no access to `from`, or mounting disabled) answers with an
     * upload session instead, returned so the caller can copy into it.
     * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#mounting-a-blob-from-another-repository
     */
    async mountBlob(
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
        this.checkDigestValue(digest);
        const start = await this.startUpload(
            target,
            `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(source.path)}`,
        );
        return start.status === 201 ? { mounted: true } : { mounted: false, uploadUrl: start.url };
    }

    /**
     * Streams one blob from `from` into `to` (any two registries, each with its own credentials): the
     * GET's body is the PUT's body, hashed on the way, with no temporary file and no whole-blob buffer.
     * An interrupted transfer starts over with a fresh GET and upload session.
     */
    async copyBlob(
        from: string,
        to: string,
        blob: { digest: string; size: number },
        uploadUrlHint?: string,
    ): Promise<number> {
        const source = repoOf(from);
        const target = repoOf(to);
        this.checkDigestValue(blob.digest);
        let hint = uploadUrlHint;
        const unauthorized = { once: false };
        return withRetry(
            this.retry,
            async () => {
                const signal = AbortSignal.timeout(this.transferTimeout(blob.size));
                // The upload session and the source's reply are independent: one round trip for both.
                const [started, opened] = await Promise.allSettled([
                    hint ?? this.startUpload(target).then((s) => s.url),
                    this.openBlob(source, blob.digest, signal),
                ]);
                const mounting = hint !== undefined;
                hint = undefined;
                if (started.status === "rejected") {
                    if (opened.status === "fulfilled") opened.value.destroy();
                    throw started.reason;
                }
                if (opened.status === "rejected") throw opened.reason;
                const got = opened.value;
                const verifying = new VerifyingStream(blob, `${source.name}@${blob.digest}`);
                let put: { status: number; statusText: string; body: Buffer };
                try {
                    put = await this.upload(
                        target,
                        started.value,
                        blob.digest,
                        blob.size,
                        { from: got, through: verifying },
                        signal,
                        mounting ? source : undefined,
                    );
                } catch (e) {
                    if (verifying.problem) throw new RegistryProtocolError(verifying.problem);
                    const cause = networkCause(e);
                    if (cause) throw new RetryableError(cause);
                    throw e;
                } finally {
                    // Read to the end on success; on an early answer or a failure, stop reading the source.
                    got.destroy();
                }
                if (verifying.problem) throw new RegistryProtocolError(verifying.problem);
                this.checkUpload(put, target, blob.digest, unauthorized);
                this.transferred(target, blob.digest, verifying.bytes);
                return verifying.bytes;
            },
            (attempts, cause) =>
                new RegistryUnavailableError(
                    source.registry === target.registry
                        ? source.registry
                        : `${source.registry} or ${target.registry}`,
                    attempts,
                    `copying blob ${blob.digest} from ${source.name} to ${target.name}: ${cause}`,
                ),
        );
    }

    /**
     * A blob's GET with its body unread. Auth comes from what `request()` already learned; a challenge
     * is answered there (a HEAD), and the GET is sent once more with what it learned.
     */
    private async openBlob(source: Repo, digest: string, signal: AbortSignal): Promise<http.IncomingMessage> {
        const url = `${registryBaseUrl(source.registry)}/v2/${source.path}/blobs/${digest}`;
        const scope = `repository:${source.path}:pull`;
        let res: http.IncomingMessage;
        try {
            res = await getFollowing(url, await this.preemptiveAuth(source.registry, scope), signal);
            if (res.statusCode === 401) {
                res.resume();
                await this.request(source.registry, { method: "HEAD", url, scope });
                res = await getFollowing(url, await this.preemptiveAuth(source.registry, scope), signal);
            }
        } catch (e) {
            const cause = e instanceof RegistryError ? undefined : networkCause(e);
            if (cause) throw new RetryableError(cause);
            throw e;
        }
        const status = res.statusCode ?? 0;
        if (status === 200) return res;
        res.resume();
        if (status === 404) throw new ManifestNotFoundError(source.name, digest);
        if (status === 401 || status === 403) throw new RegistryAuthError(source.registry, scope, status);
        if (status >= 500) throw new RetryableError(`${status} ${res.statusMessage ?? ""}`.trim());
        throw new RegistryProtocolError(
            `GET blob ${digest} in ${source.name} answered ${status} ${res.statusMessage ?? ""}`.trim(),
        );
    }

    async listTags(name: string): Promise<string[]> {
        const repo = repoOf(name);
        const base = registryBaseUrl(repo.registry);
        const tags: string[] = [];
        let url: string | undefined = `${base}/v2/${repo.path}/tags/list?n=1000`;
        for (let page = 0; url && page < 10_000; page++) {
            const reply = await this.request(repo.registry, {
                method: "GET",
                url,
                scope: `repository:${repo.path}:pull`,
            });
            if (reply.status === 404) return tags;
            if (reply.status !== 200)
                throw new RegistryProtocolError(
                    `listing tags of ${repo.name} answered ${reply.status} ${reply.statusText}`,
                );
            const json = JSON.parse(reply.body.toString("utf8")) as { tags?: string[] | null };
            tags.push(...(json.tags ?? []));
            const link = reply.headers.get("link");
            const next = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
            url = next ? new URL(next[1], base).toString() : undefined;
        }
        return tags;
    }

    /**
     * Whether the registry serves the OCI 1.1 referrers API for this repository: a 200 with an index.
     * distribution 2.x answers 404, and then only cosign's tag layout (`sha256-<hex>.att`) is used.
     * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
     */
    async referrersSupported(name: string, digest: string): Promise<boolean> {
        const repo = repoOf(name);
        this.checkDigestValue(digest);
        const reply = await this.request(repo.registry, {
            method: "GET",
            url: `${registryBaseUrl(repo.registry)}/v2/${repo.path}/referrers/${digest}`,
            scope: `repository:${repo.path}:pull`,
            headers: { Accept: OCI_INDEX },
        });
        return reply.status === 200 && (reply.headers.get("content-type") ?? "").startsWith(OCI_INDEX);
    }

    /** Deleting breaks every pin to this digest, so it only happens when the caller says so. */
    async deleteManifest(name: string, digest: string, opts?: { confirm: true }): Promise<void> {
        const repo = repoOf(name);
        if (opts?.confirm !== true) {
            throw new RegistryError(`refusing to delete ${repo.name}@${digest} without { confirm: true }`);
        }
        if (!isDigest(digest)) throw new RegistryError(`delete needs a digest, got "${digest}"`);
        const reply = await this.request(repo.registry, {
            method: "DELETE",
            url: this.manifestUrl(repo, digest),
            scope: `repository:${repo.path}:delete`,
        });
        if (reply.status === 404) throw new ManifestNotFoundError(repo.name, digest);
        if (reply.status !== 202 && reply.status !== 200) {
            throw new RegistryProtocolError(
                `DELETE ${repo.name}@${digest} answered ${reply.status} ${reply.statusText}`,
            );
        }
    }

    private checkTagName(name: string, tag: string): void {
        if (!isTag(tag))
            throw new RegistryError(`invalid tag "${tag}" for ${name}: must match [\\w][\\w.-]{0,127}`);
    }

    private checkDigestValue(digest: string): void {
        if (!isDigest(digest))
            throw new RegistryError(`invalid digest "${digest}": must be sha256:<64 lowercase hex>`);
    }

    async retag(
        name: string,
        digest: string,
        tag: string,
        opts: { force?: boolean } = {},
    ): Promise<RetagResult> {
        const repo = repoOf(name);
        this.checkTagName(repo.name, tag);
        this.checkDigestValue(digest);
        // Both reads go out together (two round trips' latency, not three); the checks still run in
        // order and before the only write.
        const [head, get] = await Promise.allSettled([
            this.headManifest(repo.name, tag),
            this.getManifest(repo.name, digest),
        ]);
        if (head.status === "rejected") throw head.reason;
        const current = head.value;
        if (current?.digest === digest) return { tag, digest, previousDigest: digest };
        if (current && isImmutableTag(tag) && !opts.force)
            throw new ImmutableTagError(repo.name, tag, current.digest, digest);
        if (get.status === "rejected") throw get.reason;
        const manifest = get.value;
        const written = await this.putManifest(repo.name, tag, manifest.bytes, manifest.mediaType);
        if (written !== digest)
            throw new RegistryProtocolError(
                `retag ${tag} in ${repo.name} produced ${written}, expected ${digest}`,
            );
        return { tag, digest, ...(current ? { previousDigest: current.digest } : {}) };
    }

    /**
     * Every read and check happens before the first write, so a refused tag or an unreachable registry
     * during planning leaves the registry untouched. A caller that has just read the target passes
     * `known` (the manifest, and the heads of the tags it read): those reads are not sent again.
     */
    async applyTags(
        name: string,
        digest: string,
        tags: string[],
        opts: { force?: boolean; known?: KnownTagState } = {},
    ): Promise<RetagResult[]> {
        const repo = repoOf(name);
        this.checkDigestValue(digest);
        // Immutable tags (X.Y.Z, git-) go first: if the run dies midway, the state left behind is "the
        // release exists, floating tags not moved yet", never a floating tag ahead of its version.
        const requested = [...new Set(tags)];
        const unique = [
            ...requested.filter((t) => isImmutableTag(t)),
            ...requested.filter((t) => !isImmutableTag(t)),
        ];
        for (const t of unique) this.checkTagName(repo.name, t);
        const known = opts.known;
        if (known && known.manifest.digest !== digest) {
            throw new RegistryError(
                `applyTags for ${digest} in ${repo.name} was handed manifest ${known.manifest.digest}`,
            );
        }
        const manifest = known?.manifest ?? (await this.getManifest(repo.name, digest));
        const unread = unique.filter((t) => !known?.heads.has(t));
        const read = await Promise.all(unread.map((t) => this.headManifest(repo.name, t)));
        const heads = unique.map((t) => (known?.heads.has(t) ? known.heads.get(t) : read[unread.indexOf(t)]));
        const plan: RetagResult[] = [];
        const refused: ImmutableTagError[] = [];
        for (const [i, tag] of unique.entries()) {
            const current = heads[i];
            if (current && current.digest !== digest && isImmutableTag(tag) && !opts.force) {
                refused.push(new ImmutableTagError(repo.name, tag, current.digest, digest));
            }
            plan.push({ tag, digest, ...(current ? { previousDigest: current.digest } : {}) });
        }
        if (refused.length === 1) throw refused[0];
        if (refused.length > 1) throw new RegistryError(refused.map((e) => e.message).join("; "));

        const applied: RetagResult[] = [];
        for (const step of plan) {
            if (step.previousDigest === digest) {
                applied.push(step);
                continue;
            }
            try {
                const written = await this.putManifest(
                    repo.name,
                    step.tag,
                    manifest.bytes,
                    manifest.mediaType,
                );
                if (written !== digest)
                    throw new RegistryProtocolError(
                        `tag ${step.tag} in ${repo.name} produced ${written}, expected ${digest}`,
                    );
                applied.push(step);
            } catch (e) {
                const restored = await this.restore(repo.name, applied);
                const done = applied.map((a) => a.tag);
                throw new PartialTagError(
                    repo.name,
                    done,
                    requested.filter((t) => !done.includes(t)),
                    restored,
                    e as Error,
                );
            }
        }
        return requested.map((t) => applied.find((a) => a.tag === t)!);
    }

    /** Best effort: move floating tags that we moved back to where they were. */
    private async restore(name: string, applied: RetagResult[]): Promise<string[]> {
        const restored: string[] = [];
        for (const a of applied) {
            if (!a.previousDigest || a.previousDigest === a.digest || isImmutableTag(a.tag)) continue;
            try {
                const prev = await this.getManifest(name, a.previousDigest);
                await this.putManifest(name, a.tag, prev.bytes, prev.mediaType);
                restored.push(a.tag);
            } catch {
                // The registry is likely down; the error we throw names what stayed applied.
            }
        }
        return restored;
    }

    async describe(ref: string): Promise<ImageDescription> {
        const r = parseReference(ref);
        const top = await this.getManifest(r.name, r.digest ?? r.tag ?? "latest");
        if (isIndexMediaType(top.mediaType) || Array.isArray(top.json.manifests)) {
            const entries = platformDescriptors(top).map(entryFromDescriptor);
            let config: ImageConfig = {};
            if (entries.length > 0) {
                const first = await this.getManifest(r.name, entries[0].digest);
                config = await this.readConfig(r.name, first);
            }
            return describeFrom(r.name, top, entries, config);
        }
        const config = await this.readConfig(r.name, top);
        return describeFrom(r.name, top, [entryFromConfig(top, config)], config);
    }

    private async readConfig(name: string, manifest: Manifest): Promise<ImageConfig> {
        const desc = manifest.json.config;
        if (!desc?.digest)
            throw new MalformedManifestError(
                name,
                manifest.digest,
                "image manifest has no config descriptor",
            );
        const bytes = await this.getBlob(name, desc.digest);
        try {
            return JSON.parse(bytes.toString("utf8")) as ImageConfig;
        } catch (e) {
            throw new RegistryProtocolError(
                `config ${desc.digest} in ${name} is not valid JSON: ${(e as Error).message}`,
            );
        }
    }

    async verify(ref: string, requiredPlatforms: string[]): Promise<ImageDescription> {
        const d = await this.describe(ref);
        const present = d.platforms.map((p) => p.platform);
        const missing = requiredPlatforms.filter((p) => !present.includes(normalizePlatform(p)));
        // A single manifest has exactly one platform, so requiring two already yields a missing one here.
        if (missing.length > 0) throw new MissingPlatformError(d.name, d.digest, missing, present);
        return d;
    }
}
