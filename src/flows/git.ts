import { GitError, runGit, writeFileAtomic } from "../release";
import { Refusal } from "./refusal";

/** git in the repository; its failure is the user's to fix, so it is a refusal with git's own message. */
export function gitRun(repoRoot: string, args: string[]): string {
    try {
        return runGit(repoRoot, args);
    } catch (e) {
        throw new Refusal((e as GitError).message);
    }
}

/** A new branch for one commit, and what to check out again to undo it. */
export interface NewBranch {
    name: string;
    /** The branch name HEAD was on, or its commit if HEAD was detached. */
    start: string;
}

/** Every precondition of committing on a new branch `name`, checked before anything is written. */
export function newBranchPrecheck(repoRoot: string, name: string): NewBranch {
    try {
        gitRun(repoRoot, ["rev-parse", "--verify", "-q", "HEAD"]);
    } catch {
        throw new Refusal(`--git: ${repoRoot} is not a git repository with a commit`);
    }
    gitRun(repoRoot, ["check-ref-format", "--branch", name]);
    let exists = true;
    try {
        gitRun(repoRoot, ["rev-parse", "--verify", "-q", `refs/heads/${name}`]);
    } catch {
        exists = false;
    }
    if (exists) throw new Refusal(`--git: branch ${name} already exists; delete it or merge it first`);
    return { name, start: headRef(repoRoot) };
}

/** Where HEAD is, as `git checkout` takes it back: its branch name, else (detached) its commit. */
export function headRef(repoRoot: string): string {
    try {
        return gitRun(repoRoot, ["symbolic-ref", "-q", "--short", "HEAD"]).trim();
    } catch {
        return gitRun(repoRoot, ["rev-parse", "HEAD"]).trim();
    }
}

/** Commits `file` (relative to the repository root), and only it, with `message`. */
export function commitFile(repoRoot: string, file: string, message: string): void {
    gitRun(repoRoot, ["add", "--", file]);
    gitRun(repoRoot, ["commit", "-q", "-m", message, "--", file]);
}

/** Puts `file` (and HEAD, if a branch was made) back as they were before the write. */
export function restore(repoRoot: string, file: string, text: string, branch?: NewBranch): void {
    if (branch) {
        try {
            gitRun(repoRoot, ["checkout", "-q", branch.start]);
            gitRun(repoRoot, ["branch", "-q", "-D", branch.name]);
        } catch {
            // The file is restored below either way; a leftover branch is visible and harmless.
        }
    }
    writeFileAtomic(file, text);
}
