// The public API: the components, their args and outputs, and the error classes a caller may catch.
// Everything else (spec builders, dynamic resources, the registry client, the flows) is internal: the
// CLI and the program (src/program.ts) are entrypoints, not library API. See CHANGELOG.md (2.0.0).
export {
    ChannelTag,
    ChannelTagArgs,
    MultiArchImage,
    MultiArchImageArgs,
    PinnedContainer,
    PinnedDeployment,
    PinnedDeploymentArgs,
    PinnedDeploymentSpec,
    PinnedJob,
    PinnedJobArgs,
    PinnedJobSpec,
    PinnedPodSpec,
    PodMetadata,
    ImagePin,
    PinMode,
    pinWorkloads,
    PinWorkloadsOptions,
    PullCredentialInput,
    PullSecret,
    PullSecretArgs,
    PullSecretRef,
    RegistryCredentials,
    ReleaseStack,
    releaseStack,
    ReleaseStackOptions,
    StackImage,
} from "./components";
export { ReleaseRecord, ReleaseRuleError, DirtyTreeError, GitError } from "./release";
export {
    BlobNotFoundError,
    BlobTooLargeError,
    ImmutableTagError,
    MalformedManifestError,
    ManifestNotFoundError,
    ManifestTooLargeError,
    MissingPlatformError,
    PartialTagError,
    RegistryAuthError,
    RegistryDeadlineError,
    RegistryError,
    RegistryProtocolError,
    RegistryUnavailableError,
} from "./registry";
export { StackConfigError } from "./stackconfig";
export { AttestationTooLargeError, SigningError } from "./signing";
export { BuildError } from "./builder";
export { Refusal, UsageRefusal } from "./flows";
