import { isDigest, isTag, parseReference } from "../release";
import { DIGEST_FORMS, isContentDigest } from "./digest";
import { RegistryError, quoted, redactUrl } from "./errors";

/*
 * Every URL and scope the client sends is built here, from a parsed repository: one place decides
 * how a repository path, a reference or a digest becomes part of a URL. A reference must be a tag or
 * a content digest, and every path component is percent-encoded, so no value (whoever supplied it)
 * can add a path segment, climb with `..`, or turn a digest into a tag.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#endpoints
 */

export interface Repo {
    registry: string;
    /** The repository path inside the registry: `team/app`. */
    path: string;
    /** `registry/path`, as messages name it. */
    name: string;
}

function isLoopback(host: string): boolean {
    return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** host, host:port, or [IPv6]:port, as distribution/reference spells a registry. */
const REGISTRY_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$/;

/** Loopback registries speak plain http (local dev); everything else must be https. */
export function registryBaseUrl(registry: string): string {
    if (registry === "docker.io") return "https://registry-1.docker.io";
    if (!REGISTRY_HOST.test(registry)) {
        // `user:password@host` included: the refusal never quotes the secret.
        throw new RegistryError(`registry ${quoted(redactUrl(registry))} is not a host[:port]`);
    }
    const host = registry.startsWith("[")
        ? registry.slice(0, registry.indexOf("]") + 1)
        : registry.split(":")[0];
    return `${isLoopback(host) ? "http" : "https"}://${registry}`;
}

export function repoOf(name: string): Repo {
    const r = parseReference(name);
    if (r.tag || r.digest) throw new RegistryError(`repository "${name}" must not carry a tag or digest`);
    return { registry: r.registry, path: r.path, name: r.name };
}

/** A digest the caller hands in, before it goes into a URL. */
export function requireDigest(digest: string): void {
    if (!isDigest(digest))
        throw new RegistryError(`invalid digest ${quoted(digest)}: must be sha256:<64 lowercase hex>`);
}

/** A digest out of a descriptor (sha256 or sha512), before it is fetched, copied or written. */
export function requireContentDigest(digest: string): void {
    if (!isContentDigest(digest))
        throw new RegistryError(`invalid digest ${quoted(digest)}: must be ${DIGEST_FORMS}`);
}

/** A tag the caller hands in, before it goes into a URL. */
export function requireTag(name: string, tag: string): void {
    if (!isTag(tag))
        throw new RegistryError(`invalid tag ${quoted(tag)} for ${name}: must match [\\w][\\w.-]{0,127}`);
}

export function pullScope(repo: Repo): string {
    return `repository:${repo.path}:pull`;
}

export function pushScope(repo: Repo): string {
    return `repository:${repo.path}:pull,push`;
}

export function deleteScope(repo: Repo): string {
    return `repository:${repo.path}:delete`;
}

/** A cross-repository mount needs push on the target and pull on the source: two scopes. */
export function mountScope(target: Repo, sourcePath: string): string {
    return `${pushScope(target)} repository:${sourcePath}:pull`;
}

/** The registry's origin ("https://registry-1.docker.io"): its credentials go nowhere else. */
export function registryOrigin(registry: string): string {
    return new URL(registryBaseUrl(registry)).origin;
}

/**
 * One path segment: percent-encoded (":" stays, as RFC 3986 allows and registries expect in
 * `sha256:…`). "." and ".." are refused: a URL parser resolves them even when encoded as %2E.
 */
export function pathSegment(value: string): string {
    if (value === "" || value === "." || value === "..") {
        throw new RegistryError(`${quoted(value)} cannot be a URL path segment`);
    }
    return encodeURIComponent(value).replace(/%3A/g, ":");
}

function v2(repo: Repo): string {
    return `${registryBaseUrl(repo.registry)}/v2/${repo.path.split("/").map(pathSegment).join("/")}`;
}

/** A content digest (sha256 or sha512) before it goes into a URL. */
function contentDigestSegment(repo: Repo, digest: string): string {
    if (!isContentDigest(digest)) {
        throw new RegistryError(`invalid digest ${quoted(digest)} for ${repo.name}: must be ${DIGEST_FORMS}`);
    }
    return pathSegment(digest);
}

/** A manifest by tag or by content digest; nothing else can become its URL. */
export function manifestUrl(repo: Repo, reference: string): string {
    if (!isTag(reference) && !isContentDigest(reference)) {
        throw new RegistryError(
            `invalid manifest reference ${quoted(reference)} for ${repo.name}: neither a tag nor a digest (${DIGEST_FORMS})`,
        );
    }
    return `${v2(repo)}/manifests/${pathSegment(reference)}`;
}

export function blobUrl(repo: Repo, digest: string): string {
    return `${v2(repo)}/blobs/${contentDigestSegment(repo, digest)}`;
}

/** POST here opens an upload session; with `mount`, it asks for a cross-repository mount first. */
export function uploadsUrl(repo: Repo, mount?: { digest: string; fromPath: string }): string {
    const query = mount
        ? `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.fromPath)}`
        : "";
    return `${v2(repo)}/blobs/uploads/${query}`;
}

/** The upload session URL with the digest that closes it (monolithic PUT). */
export function closingUploadUrl(session: string, digest: string): URL {
    const url = new URL(session);
    url.searchParams.set("digest", digest);
    return url;
}

export function tagsUrl(repo: Repo): string {
    return `${v2(repo)}/tags/list?n=1000`;
}

export function referrersUrl(repo: Repo, digest: string): string {
    return `${v2(repo)}/referrers/${contentDigestSegment(repo, digest)}`;
}
