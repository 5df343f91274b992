import { isDigest, isTag, parseReference } from "../release";
import { RegistryError } from "./errors";

/*
 * Every URL and scope the client sends is built here, from a parsed repository: one place decides
 * how a repository path, a reference or a digest becomes part of a URL.
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

/** Loopback registries speak plain http (local dev); everything else must be https. */
export function registryBaseUrl(registry: string): string {
    if (registry === "docker.io") return "https://registry-1.docker.io";
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
        throw new RegistryError(`invalid digest "${digest}": must be sha256:<64 lowercase hex>`);
}

/** A tag the caller hands in, before it goes into a URL. */
export function requireTag(name: string, tag: string): void {
    if (!isTag(tag))
        throw new RegistryError(`invalid tag "${tag}" for ${name}: must match [\\w][\\w.-]{0,127}`);
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

function v2(repo: Repo): string {
    return `${registryBaseUrl(repo.registry)}/v2/${repo.path}`;
}

export function manifestUrl(repo: Repo, reference: string): string {
    return `${v2(repo)}/manifests/${reference}`;
}

export function blobUrl(repo: Repo, digest: string): string {
    return `${v2(repo)}/blobs/${digest}`;
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
    return `${v2(repo)}/referrers/${digest}`;
}
