import * as path from "path";
import { Command, InvalidArgumentError } from "commander";
import { StackOptions, UsageRefusal } from "../flows";

/** The flags every command takes, as commander hands them over. */
export interface CommonOptions {
    stacksDir: string;
    repoRoot: string;
    json?: true;
    /** Seconds the command's registry metadata calls may take together (RegistryClient deadlineMs). */
    deadline: number;
    /** The command's positional arguments (`reject <digest>`), in order. */
    args?: string[];
}

export const DEFAULT_DEADLINE_SECONDS = 120;

/**
 * A flag that takes a whole number >= 1, digits only: Number() would also take "1.5", "1e3" or "" (as
 * 0), and NaN silently ran nothing.
 */
export function atLeastOne(flag: string, noun: string): (v: string) => number {
    return (v) => {
        if (!/^[0-9]+$/.test(v) || Number(v) < 1) {
            throw new InvalidArgumentError(`${flag} must be ${noun} >= 1 (got "${v}")`);
        }
        return Number(v);
    };
}

/** Whole seconds, at least 1: a deadline of 0 or "1.5" would be a typo, not a wish. */
export const parseDeadline = atLeastOne("--deadline", "a whole number of seconds");

export function addCommonFlags(cmd: Command): Command {
    return cmd
        .option(
            "--stacks-dir <dir>",
            "directory holding Pulumi.<stack>.yaml, relative to --repo-root",
            "stacks",
        )
        .option(
            "--repo-root <dir>",
            "git repository root (its history is what rollback and history read)",
            ".",
        )
        .option("--json", "machine-readable output on stdout")
        .option(
            "--deadline <seconds>",
            "the most time this command's registry metadata calls (manifests, tags, tokens, referrers) may take together; blob transfers are bounded by a stall timeout instead",
            parseDeadline,
            DEFAULT_DEADLINE_SECONDS,
        );
}

/** Absolute directories for the flows: the stacks directory is relative to the repository root. */
export function stackDirs(o: CommonOptions): StackOptions {
    const repoRoot = path.resolve(o.repoRoot);
    return { repoRoot, stacksDir: path.resolve(repoRoot, o.stacksDir) };
}

/**
 * A flag given an empty value: `--repo-root ""` would otherwise resolve to the working directory and
 * `--from ""` be looked up as a stack. One problem per flag, each naming it.
 */
export function emptyValues(flags: Record<string, string | undefined>): string[] {
    return Object.entries(flags)
        .filter(([, v]) => v !== undefined && v.trim() === "")
        .map(([flag, v]) => `${flag} must not be empty (got ${JSON.stringify(v)})`);
}

export function commonProblems(o: CommonOptions): string[] {
    return emptyValues({ "--stacks-dir": o.stacksDir, "--repo-root": o.repoRoot });
}

/** Every problem of one command line at once, as one usage refusal (exit code 2). */
export function refuseUsage(problems: string[]): void {
    if (problems.length > 0) throw new UsageRefusal(problems.join("\n"));
}
