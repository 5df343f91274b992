export { loadModule, MODULES } from "./loader";
export { imageDiff, MultiArchImageResource, multiArchImageProvider, needsRebuild } from "./multiArchImage";
export type {
    MultiArchImageInputs,
    MultiArchImageOutputs,
    MultiArchImageResourceArgs,
} from "./multiArchImage";
export { RegistryTagResource, registryTagProvider, tagDiff } from "./registryTag";
export type { RegistryTagInputs, RegistryTagOutputs, RegistryTagResourceArgs } from "./registryTag";
export { copyDiff, RegistryCopyResource, registryCopyProvider } from "./registryCopy";
export type { RegistryCopyInputs, RegistryCopyOutputs, RegistryCopyResourceArgs } from "./registryCopy";
