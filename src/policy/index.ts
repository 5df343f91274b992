export { policies } from "./policies";
export {
    digestPinViolation,
    isMultiArchImageResource,
    latestTagViolation,
    missingOciLabels,
    REQUIRED_OCI_LABELS,
    resourceViolations,
    stackOfUrn,
    WORKLOAD_TYPES,
    workloadImages,
} from "./validators";
