import * as path from "path";
import { runGit } from "../release";

/** The `before` of a first push (GitHub's `github.event.before`, GitLab's `CI_COMMIT_BEFORE_SHA`). */
export const ZERO_SHA = "0".repeat(40);

/** A commit range git cannot read: a commit that does not exist, or a folder that is no repository. */
export class CommitRangeError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CommitRangeError";
    }
}

/** One stack file the range changed: its text at each end (absent where the file was not). */
export interface StackFileChange {
    stack: string;
    /** The stack file's path relative to the project root (`stacks/Pulumi.staging.yaml`). */
    file: string;
    before?: string;
    after?: string;
}

/** A merge's commit range, resolved, and the stack files it changed. */
export interface StackRange {
    /** Full commit names; `from` is ZERO_SHA for a first push. */
    from: string;
    to: string;
    changes: StackFileChange[];
    /** The text of every stack file at `to` (the promotion tree is read from all of them), by stack. */
    atTo: Record<string, string>;
}

const STACK_FILE = /^Pulumi\.([^/]+)\.yaml$/;

/** The full name of the commit `ref` names, or a refusal that names it and the likely cause. */
export function resolveCommit(repoRoot: string, ref: string, what: string): string {
    try {
        return runGit(repoRoot, [
            "rev-parse",
            "--verify",
            "-q",
            "--end-of-options",
            `${ref}^{commit}`,
        ]).trim();
    } catch {
        throw new CommitRangeError(
            `${what} "${ref}" is not a commit of ${repoRoot} (a force-push removed it, or a shallow clone lacks it: fetch the whole history, e.g. actions/checkout's fetch-depth: 0)`,
        );
    }
}

/** The file at `commit`, or undefined when that commit has no such file. */
export function textAt(repoRoot: string, commit: string, rel: string): string | undefined {
    try {
        return runGit(repoRoot, ["show", `${commit}:./${rel}`]);
    } catch {
        return undefined;
    }
}

/** The stack files directly in `stacksRel` among git's NUL-separated paths, by stack. */
function stackFiles(listing: string, stacksRel: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const rel of listing.split("\0").filter((f) => f !== "")) {
        const m = STACK_FILE.exec(path.posix.basename(rel));
        if (m !== null && path.posix.dirname(rel) === stacksRel) out.set(m[1], rel);
    }
    return out;
}

/**
 * The stack files a merge's range changed, compared end to end (a change made and undone inside the
 * range is no change), each with its text at both ends. A range from ZERO_SHA is a first push: every
 * stack file at `to` is new. Each commit is checked first, and a missing one is refused by name.
 */
export function readStackRange(repoRoot: string, stacksDir: string, from: string, to: string): StackRange {
    const end = resolveCommit(repoRoot, to, "--to");
    const start = from === ZERO_SHA ? ZERO_SHA : resolveCommit(repoRoot, from, "--from");
    const stacksRel = path.relative(repoRoot, stacksDir).split(path.sep).join("/") || ".";
    const atTo = stackFiles(
        runGit(repoRoot, ["ls-tree", "-r", "--name-only", "-z", end, "--", stacksRel]),
        stacksRel,
    );
    const changed =
        start === ZERO_SHA
            ? atTo
            : stackFiles(
                  runGit(repoRoot, [
                      "diff",
                      "--name-only",
                      "--no-renames",
                      "--relative",
                      "-z",
                      start,
                      end,
                      "--",
                      stacksRel,
                  ]),
                  stacksRel,
              );
    const changes = [...changed].map(([stack, rel]) => {
        const before = start === ZERO_SHA ? undefined : textAt(repoRoot, start, rel);
        const after = textAt(repoRoot, end, rel);
        return {
            stack,
            file: rel,
            ...(before !== undefined ? { before } : {}),
            ...(after !== undefined ? { after } : {}),
        };
    });
    return {
        from: start,
        to: end,
        changes: changes.sort((a, b) => (a.stack < b.stack ? -1 : 1)),
        atTo: Object.fromEntries([...atTo].map(([stack, rel]) => [stack, textAt(repoRoot, end, rel) ?? ""])),
    };
}
