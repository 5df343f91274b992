export { policies } from "./policies";
export {
    digestPinViolation,
    isMultiArchImageResource,
    latestTagViolation,
    missingOciLabels,
    PINNED_STACKS,
    REQUIRED_OCI_LABELS,
    resourceViolations,
    stackOfUrn,
    WORKLOAD_TYPES,
    workloadImages,
} from "./validators";
