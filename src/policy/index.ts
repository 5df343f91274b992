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
    WORKLOAD_TYPES,
    workloadImages,
} from "./validators";
