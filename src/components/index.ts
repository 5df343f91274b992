export {
    ANNOTATION_CHANGE_CAUSE,
    ANNOTATION_DATASET,
    ANNOTATION_DIGEST,
    ANNOTATION_GIT_SHA,
    ANNOTATION_VERSION,
    changeCause,
    deploymentAnnotations,
    podAnnotations,
    ReleaseMetadata,
    shortDigest,
} from "./annotations";
export { ChannelTag, ChannelTagArgs, channelProblems } from "./channelTag";
export {
    defaultSourceDateEpoch,
    MultiArchImage,
    MultiArchImageArgs,
    multiArchImageProblems,
    RegistryCredentials,
} from "./multiArchImage";
export { deploymentSpec, DeploymentSpecInput } from "./deploymentSpec";
export {
    DEFAULT_REVISION_HISTORY_LIMIT,
    PinnedDeployment,
    PinnedDeploymentArgs,
    pinnedDeploymentProblems,
} from "./pinnedDeployment";
export { platformDigestsOf, VERIFY_CLIENT_OPTIONS, verificationFailure, verifyPin } from "./pinVerification";
export { jobAnnotations, jobName, jobSpec, JobSpecInput, PinnedJob, PinnedJobArgs } from "./pinnedJob";
export { digestProblems, repositoryProblems, throwIfProblems } from "./validate";
