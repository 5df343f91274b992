import * as path from "path";
import { Command } from "commander";
import { StackOptions, UsageRefusal } from "../flows";

/** The flags every command takes, as commander hands them over. */
export interface CommonOptions {
    stacksDir: string;
    repoRoot: string;
    json?: true;
}

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
        .option("--json", "machine-readable output on stdout");
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
