import { execFileSync } from "child_process";

/** A git command that failed; `reason` is the first line git printed (or the spawn error). */
export class GitError extends Error {
    constructor(
        public readonly args: string[],
        public readonly reason: string,
    ) {
        super(`git ${args[0]} failed: ${reason}`);
        this.name = "GitError";
    }
}

/**
 * Runs `git -C dir …` and returns its stdout. The error carries git's first line only: the command
 * line, which may hold a whole commit message, is never repeated in it.
 */
export function runGit(dir: string, args: string[]): string {
    try {
        return execFileSync("git", ["-C", dir, ...args], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new GitError(args, ((err.stderr || err.message).trim().split("\n")[0] || "").trim());
    }
}
