export { loadModule, MODULES } from "./loader";
export { imageDiff, multiArchImageProvider, needsRebuild } from "./multiArchImage";
export type {
    MultiArchImageInputs,
    MultiArchImageOutputs,
    MultiArchImageResourceArgs,
} from "./multiArchImage";
export { registryTagProvider, tagDiff } from "./registryTag";
export type { RegistryTagInputs, RegistryTagOutputs, RegistryTagResourceArgs } from "./registryTag";
export { copyDiff, registryCopyProvider } from "./registryCopy";
export type { RegistryCopyInputs, RegistryCopyOutputs, RegistryCopyResourceArgs } from "./registryCopy";
/** @internal */
export { MultiArchImageResource } from "./multiArchImage";
/** @internal */
export { RegistryTagResource } from "./registryTag";
/** @internal */
export { RegistryCopyResource } from "./registryCopy";
