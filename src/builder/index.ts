export { BuildError } from "./errors";
export { BUILDER_BUILD_ARGS, buildArgsProblem, engineBuildArgs } from "./buildArgs";
export type { BuilderArgsInput } from "./buildArgs";
export { contextFiles, hashContext, specialFileType } from "./contextHash";
export { DockerEngine, DEFAULT_DOCKER, runProcess } from "./engine";
export type { Engine, EngineBuild, Exec, ImageExport } from "./engine";
export { BuildKitEngine, buildctlArgs, defaultBuildctl, remoteEngines, workerPlatforms } from "./buildkit";
export { normalizeTar, writeLayer, Hashing } from "./archive";
export type { LayerBlob } from "./archive";
export { BlockGzip, BLOCK_SIZE, LAYER_FORMAT } from "./blockGzip";
export { readEngineExport } from "./engineExport";
export type { ExportedImage } from "./engineExport";
export { byteSize } from "../release";
export {
    CONFIG_FORMAT,
    parsePlatform,
    platformKey,
    reproducibleConfig,
    imageManifest,
    imageIndex,
} from "./image";
export type { LayerRef } from "./image";
export type { Platform } from "./image";
export { BuildCache, buildKey, defaultCacheDir } from "./cache";
export type { BuildMemory, RememberedBuild } from "./cache";
export type { CachedBuild } from "./cache";
export { applyTagSet, publishImage } from "./publish";
export type { PublishOptions, PublishResult, TagSetApplication } from "./publish";
