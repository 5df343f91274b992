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
export { DeploymentSpecInput, PinnedDeploymentSpec } from "./deploymentSpec";
/** @internal */
export { deploymentSpec } from "./deploymentSpec";
export {
    DEFAULT_REVISION_HISTORY_LIMIT,
    PinnedDeployment,
    PinnedDeploymentArgs,
    pinnedDeploymentProblems,
} from "./pinnedDeployment";
export { platformDigestsOf, VERIFY_CLIENT_OPTIONS, verificationFailure, verifyPin } from "./pinVerification";
export { ImagePin, PinMode, pinWorkloads, PinWorkloadsOptions, PullSecretRef } from "./pinWorkloads";
export {
    DEFAULT_PULL_SECRET_NAME,
    PullCredentialInput,
    PullSecret,
    PullSecretArgs,
    pullSecretProblems,
} from "./pullSecret";
/** @internal */
export { PinnedWorkload, pinWorkload, pinWorkloadsTransform } from "./pinWorkloads";
export { PinnedJob, PinnedJobArgs } from "./pinnedJob";
export { JobSpecInput, PinnedJobSpec } from "./jobSpec";
/** @internal */
export { jobAnnotations, jobBody, jobMetadata, jobName, jobSpec } from "./jobSpec";
export { PinnedContainer, PinnedPodSpec, PodMetadata } from "./podTemplate";
export { digestProblems, repositoryProblems, throwIfProblems } from "./validate";
export { ANNOTATION_TIMEOUT_SECONDS, rolloutTimeout } from "./rolloutTimeout";
/** @internal */
export { withRolloutTimeout } from "./rolloutTimeout";
export { ReleaseStack, releaseStack, ReleaseStackOptions, StackImage } from "./releaseStack";
export { messageOnly, programError, resourceRefusal } from "./engineErrors";
/** @internal */
export { pinStackWorkloads, StackPin, standInDigest, withRealDigests } from "./stackPins";
export { AdmissionInput, admissionPolicy, AdmittedPin } from "./admissionPolicy";
/** @internal */
export { admissionPolicySpecs } from "./admissionPolicy";
