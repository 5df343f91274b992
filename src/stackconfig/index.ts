export {
    PROJECT,
    rfc1123LabelProblem,
    STACK_NAME,
    StackConfigError,
    StackImageConfig,
    TrainingConfig,
    validateStackConfig,
} from "./model";
export { listStacks, parseStackConfigText, readStackConfig, readStackSnapshot, stackFile } from "./read";
export * from "./edit";
