export {
    RegistryError,
    RegistryAuthError,
    ManifestNotFoundError,
    BlobNotFoundError,
    BlobTooLargeError,
    ManifestTooLargeError,
    MissingPlatformError,
    ImmutableTagError,
    RegistryUnavailableError,
    MalformedManifestError,
    RegistryProtocolError,
    RegistryDeadlineError,
    PartialTagError,
} from "./errors";
export type { RegistryDiagnostic, ReplyFacts } from "./errors";
export { RegistryClient, VERIFY_CLIENT_OPTIONS } from "./client";
export type { KnownTagState, RegistryClientOptions, RetagResult, TransferEvent } from "./client";
export type { BlobFile } from "./upload";
export { registryBaseUrl } from "./endpoints";
export type { ManifestHead } from "./manifests";
export { copyImage } from "./copy";
export { eachLimited } from "./limit";
export { verifyFirstHolder } from "./holder";
export type { ArtifactOutcome, CopyOptions, CopyResult } from "./copy";
export type { ImageDescription, PlatformEntry } from "./describe";
export { normalizePlatform, platformString } from "./describe";
export {
    OCI_INDEX,
    OCI_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_LAYER,
    MANIFEST_ACCEPT,
    isIndexMediaType,
} from "./mediatypes";
export type { Manifest, Descriptor } from "./mediatypes";
export { parseWwwAuthenticate, readDockerConfigCredential } from "./auth";
export type { Credential } from "./auth";
export { sha256Digest } from "./digest";
export { ATTESTATION_LIMIT, DEFAULT_MAX_INDEX_ENTRIES, MANIFEST_LIMIT, METADATA_BLOB_LIMIT } from "./limits";
export type { BodyLimit } from "./limits";
