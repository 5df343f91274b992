export { policies } from "./policies";
export {
    digestPinViolation,
    isMultiArchImageResource,
    PolicyName,
    latestTagViolation,
    missingOciLabels,
    REQUIRED_OCI_LABELS,
    resourceViolations,
    SIGNED_BY_ANNOTATION,
    SIGNED_STACKS,
    stackOfUrn,
    unsignedViolation,
    WORKLOAD_TYPES,
    workloadImages,
} from "./validators";
