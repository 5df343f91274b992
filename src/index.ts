// The public API. The program (src/program.ts) and the policy pack are entrypoints, not library API.
export {
    changeCause,
    ChannelTag,
    ChannelTagArgs,
    deploymentSpec,
    jobSpec,
    MultiArchImage,
    MultiArchImageArgs,
    PinnedDeployment,
    PinnedDeploymentArgs,
    PinnedJob,
    PinnedJobArgs,
    RegistryCredentials,
    shortDigest,
} from "./components";
export {
    computeTagSet,
    formatReference,
    ImageReference,
    isDigest,
    isImmutableTag,
    ociLabels,
    parseReference,
    pinned,
    ReleaseRecord,
    ReleaseRuleError,
    TagSet,
    TagSetOptions,
} from "./release";
export {
    ImageDescription,
    ImmutableTagError,
    ManifestNotFoundError,
    MissingPlatformError,
    RegistryAuthError,
    RegistryClient,
    RegistryClientOptions,
    RegistryError,
    RegistryUnavailableError,
} from "./registry";
export { readStackConfig, StackConfigError, StackImageConfig, validateStackConfig } from "./stackconfig";
export { MultiArchImageResource, RegistryTagResource } from "./providers";
