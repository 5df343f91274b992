export { ReleaseRuleError } from "./errors";
export { byteSize, sizeText } from "./byteSize";
export { layerDoneLine, layerDoneLines, layerLiveLine } from "./layerProgress";
export type { LayerProgress } from "./layerProgress";
export { buildVersion, isSemver, readVersion } from "./version";
export {
    buildRecordTag,
    CHANNELS,
    Channel,
    computeTagSet,
    copiedTags,
    gitTag,
    inTagSetOrder,
    isBuildRecordTag,
    isChannelTag,
    isGitTag,
    isImmutableTag,
    PINNED_STACKS,
    supersededFloatingTags,
    versionTag,
    TagSet,
    TagSetOptions,
} from "./tags";
export { planTagMoves, tagWriteOrder } from "./tagMoves";
export type { TagMove, TagMoveInput, TagMovePlan, TagRefusal } from "./tagMoves";
export { DEFAULT_PLATFORMS, isPlatformName } from "./platforms";
export {
    assertCleanBuildContext,
    DirtyTreeError,
    GitError,
    ignoredFiles,
    gitObjectIds,
    gitShowMany,
    runGit,
    uncommittedFiles,
} from "./git";
export { writeFileAtomic } from "./writeFileAtomic";
export { PulumiLoginInput, pulumiLoginProblems } from "./pulumiLogin";
export {
    contextCommitInfo,
    GitCommitInfo,
    gitCommitInfo,
    OciLabelInput,
    ociLabels,
    rfc3339,
    sourceDateEpoch,
} from "./labels";
export { ReleaseRecord, validateReleaseRecord } from "./record";
export { isStackName, repositoryProblem, STACK_NAME } from "./names";
export { showValue } from "./display";
export * from "./reference";
export {
    configuredSourceProblem,
    resolveImageSource,
    sourceUrlFromGitRemote,
    sourceUrlFromPackageRepository,
} from "./source";
export {
    CONTAINER_FIELDS,
    ContainerImage,
    Workload,
    WorkloadKind,
    WORKLOAD_KINDS,
    workloadImages,
    workloadOf,
} from "./workloads";
export {
    ImagePin,
    indexPins,
    PinImagesOptions,
    PinMode,
    PinnedImages,
    pinImages,
    WorkloadName,
    withValueAt,
} from "./pinImages";
export { ContextIgnore, contextIgnore, dockerignoreFile } from "./dockerignore";
export { code, codeSpan, fencedBlock, inlineText, Markdown, md, showUnprintable, tableRow } from "./markdown";
export { shellCommand, shellQuote } from "./shellQuote";
export {
    DEFAULT_PULL_SECRET_NAME,
    DOCKER_CONFIG_JSON_KEY,
    DOCKER_CONFIG_JSON_TYPE,
    dockerConfigJson,
    PullCredential,
    PullSecretRef,
    registryHostProblem,
    registryKey,
    withPullSecret,
} from "./pullSecrets";
export { ClusterDrift, clusterDrift, ClusterPin } from "./clusterDrift";
export {
    CheckedOutcome,
    combinationKey,
    humanSeconds,
    nextVerification,
    reasonProblem,
    REJECTION_PREDICATE,
    RejectionPredicate,
    rejectionSummary,
    sameSubject,
    Signed,
    SoakState,
    soakState,
    soakEndsAt,
    soakSummary,
    standingRejection,
    VERIFICATION_PREDICATE,
    VerificationPredicate,
    VerifiedMember,
} from "./evidence";
export { RunningContainer, runningContainers } from "./running";
export { olderThan, ordinal, parseAge } from "./age";
export {
    KeepInput,
    KeepSet,
    keepSet,
    ListedTag,
    listingOf,
    ManifestChild,
    RepositoryListing,
    RunningImage,
} from "./keepSet";
export {
    DeletionGroup,
    deletionRefs,
    ImageAge,
    KeptDigest,
    RetentionInput,
    RetentionPlan,
    retentionPlan,
} from "./retentionPlan";
export {
    BUILDER_EXAMPLE,
    builderAddressProblem,
    builderProblems,
    parseBuilderFlags,
    releaseBuilders,
} from "./builders";
export type { Builders } from "./builders";
