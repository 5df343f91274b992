/** The signing API under test, plus the one internal the wire-format test drives directly. */
export * from "../../src/signing";
export { appendArtifactLayer as appendArtifactLayerForTest } from "../../src/signing/artifacts";
