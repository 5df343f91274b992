/** What every image covers unless a stack or an arg says otherwise: the two platforms users run on. */
export const DEFAULT_PLATFORMS: readonly string[] = ["linux/amd64", "linux/arm64"];

/** `os/arch[/variant]` in lowercase alphanumerics: the shape a stack file or an arg may name. */
export function isPlatformName(p: string): boolean {
    return /^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(p);
}
