import { CommanderError } from "commander";
import { UsageRefusal } from "../flows";

/** Exit code 2: the command line itself is wrong (an unknown option, a malformed flag value). */
export const USAGE = 2;

/**
 * The one mapping from a failure to the exit code: commander's own usage errors and a `UsageRefusal` are
 * usage (2), any other `Refusal` or error is 1, and commander's `--help` and `--version` exits are 0.
 */
export function exitCodeOf(e: unknown): number {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : USAGE;
    if (e instanceof UsageRefusal) return USAGE;
    // A Refusal (the user's to fix) and any other error (registry, git, engine) fail the command alike.
    return 1;
}

/** Commander has already printed its own message; everything else gets one `image-release:` line. */
export function errorMessageOf(e: unknown): string | undefined {
    if (e instanceof CommanderError) return undefined;
    return `image-release: ${e instanceof Error ? e.message : String(e)}\n`;
}
