export {
    PROJECT,
    STACK_NAME,
    StackConfigError,
    StackImageConfig,
    TrainingConfig,
    validateStackConfig,
} from "./model";
export { listStacks, parseStackConfigText, readStackConfig, readStackSnapshot, stackFile } from "./read";
export * from "./edit";
