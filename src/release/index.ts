export { ReleaseRuleError } from "./errors";
export { isSemver, readVersion } from "./version";
export {
    CHANNELS,
    Channel,
    computeTagSet,
    isImmutableTag,
    PINNED_STACKS,
    supersededFloatingTags,
    TagSet,
    TagSetOptions,
} from "./tags";
export { DEFAULT_PLATFORMS, isPlatformName } from "./platforms";
export { assertCleanBuildContext, DirtyTreeError, GitError, runGit, uncommittedFiles } from "./git";
export { writeFileAtomic } from "./writeFileAtomic";
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
