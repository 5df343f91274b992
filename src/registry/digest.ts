import { createHash } from "crypto";
import { RegistryProtocolError, ReplyFacts, printable, quoted } from "./errors";

/*
 * Content digests as a registry names them. Every digest the client reads from a registry (a
 * descriptor in a manifest, a Docker-Content-Digest header) passes `checkedDigest` before any use:
 * a digest ends up in a URL, so one that is not `<algorithm>:<exact-length hex>` could name a path or
 * a tag instead (`../../../victim/app/manifests/9.9.9`, `latest`), the class of CVE-2024-3727.
 */

/** The algorithms the OCI image spec registers, each with its exact hex length. */
const CONTENT_DIGEST = /^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

export const DIGEST_FORMS = "sha256:<64 hex> or sha512:<128 hex>";

export function sha256Digest(bytes: Uint8Array): string {
    return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

export function isContentDigest(s: string): boolean {
    return CONTENT_DIGEST.test(s);
}

/** The algorithm of a content digest: "sha256" or "sha512". */
export function algorithmOf(digest: string): "sha256" | "sha512" {
    return digest.startsWith("sha512:") ? "sha512" : "sha256";
}

/** `bytes`' digest by the algorithm `like` (a content digest) uses. */
export function digestLike(like: string, bytes: Uint8Array): string {
    const algorithm = algorithmOf(like);
    return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

/**
 * `value` when it is a content digest; else the refusal, which names the value and, through
 * `source` ("HEAD manifest 1.0 in registry/repo answered Docker-Content-Digest"), the registry.
 */
export function checkedDigest(value: unknown, source: string, reply?: ReplyFacts): string {
    if (typeof value === "string" && isContentDigest(value)) return value;
    // A manifest is at most 4 MiB, so even a huge non-string costs little to show in part.
    const shown =
        typeof value === "string"
            ? quoted(value)
            : printable((JSON.stringify(value) ?? "undefined").slice(0, 40));
    throw new RegistryProtocolError(
        `${source} ${shown}, which is not a digest (${DIGEST_FORMS}); refusing it`,
        reply,
    );
}
