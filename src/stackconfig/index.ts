export { StackConfigError, StackImageConfig, validateStackConfig } from "./model";
export { listStacks, readStackConfig, stackFile } from "./read";
export * from "./edit";
