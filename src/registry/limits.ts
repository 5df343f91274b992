/*
 * How much a registry may make the client read. A hostile or broken registry otherwise decides how
 * much memory a command takes (a 1 GiB "manifest" took the CLI to 3 GB). Every cap is enforced while
 * the bytes arrive: the reply's Content-Length is refused up front when it says too much, and the read
 * stops at the first byte past the cap when it does not, so nothing past a cap is ever buffered.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** A cap on one reply's body, and how a refusal names what was being read. */
export interface BodyLimit {
    bytes: number;
    /** "a manifest", "a token response": the refusal says "the limit for <what>". */
    what: string;
}

/**
 * Manifests and indexes: 4 MiB, containerd's `MaxManifestSize` and the size distribution itself
 * accepts on push (registry/handlers/manifests.go), so no real registry holds a larger one.
 */
export const MANIFEST_LIMIT: BodyLimit = { bytes: 4 * MiB, what: "a manifest" };

/** An image config, a signature payload: the same 4 MiB (containers/image's MaxConfigBodySize). */
export const METADATA_BLOB_LIMIT: BodyLimit = { bytes: 4 * MiB, what: "a config or signature payload" };

/**
 * An attestation envelope (DSSE, its in-toto statement base64 inside): 128 MiB. A file-level SPDX
 * of a 100,000-file ML image, in syft's shape (path, SPDXID, SHA-1 and SHA-256, license fields, the
 * layer, one CONTAINS relationship), is ~910 bytes a file with ~95-character paths: ~87 MiB of JSON,
 * ~115 MiB once base64 in the envelope (test/registry/hostile.test.ts computes it). 64 MiB would
 * refuse it; 128 MiB is also cosign's own default (COSIGN_MAX_ATTACHMENT_SIZE).
 */
export const ATTESTATION_LIMIT: BodyLimit = { bytes: 128 * MiB, what: "an attestation" };

/** A token server's answer: 64 KiB, go-containerregistry's maxTokenBodySize. */
export const TOKEN_LIMIT: BodyLimit = { bytes: 64 * KiB, what: "a token response" };

/** Anything else that has a body worth reading (a tags page, referrers, a ping): 4 MiB. */
export const REPLY_LIMIT: BodyLimit = { bytes: 4 * MiB, what: "a registry reply" };

/** Enough of a refusal's body for its `errors[]`; more is cut, never an error of its own. */
export const ERROR_BODY_BYTES = 64 * KiB;

/** Index entries a manifest list may have unless the client is told otherwise (`maxIndexEntries`). */
export const DEFAULT_MAX_INDEX_ENTRIES = 1024;

/** Reads a cap of this size and more is a transfer (stall timeout), not a metadata call (deadline). */
export function isTransferSized(limit: BodyLimit): boolean {
    return limit.bytes > REPLY_LIMIT.bytes;
}

/** The body was larger than its cap (by its Content-Length, or by what arrived). */
export class TooLarge extends Error {}
