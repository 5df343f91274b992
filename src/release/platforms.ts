/** What every image covers unless a stack or an arg says otherwise: the two platforms users run on. */
export const DEFAULT_PLATFORMS: readonly string[] = ["linux/amd64", "linux/arm64"];
