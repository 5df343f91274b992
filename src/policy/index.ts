export { policies } from "./policies";
export {
    digestPinViolation,
    isMultiArchImageResource,
    PolicyName,
    latestTagViolation,
    missingOciLabels,
    REQUIRED_OCI_LABELS,
    resourceViolations,
    stackOfUrn,
    workloadImages,
} from "./validators";
export {
    SIGNED_BY_ANNOTATION,
    SIGNED_DIGEST_CONFIG_SCHEMA,
    SIGNED_STACKS,
    SignedDigestConfig,
    unsignedWorkloadViolation,
} from "./signature";
export {
    REJECTED_DIGEST_CONFIG_SCHEMA,
    RejectedDigestConfig,
    RejectionCache,
    rejectedWorkloadViolations,
    verifierKeysOf,
} from "./rejection";
