import { execFileSync } from "child_process";
import { GitError, runGit } from "../release";
import { parseStackFileText, pinsOfConfig, textAt } from "../stackconfig";
import { gitRun } from "./git";
import { Refusal } from "./refusal";

/**
 * The git side of a proposal: the remote it is pushed to, whether that remote already holds it, and the
 * push. Git runs non-interactively (no credential prompt), so a pipeline without push rights fails with
 * git's own reason instead of hanging.
 */

/** Refuses a remote the clone does not have, naming it and the ones it has. */
export function refuseUnknownRemote(repoRoot: string, remote: string, nothing: string): void {
    const remotes = gitRun(repoRoot, ["remote"])
        .split("\n")
        .filter((r) => r !== "");
    if (!remotes.includes(remote)) {
        const has = remotes.length > 0 ? `its remotes: ${remotes.join(", ")}` : "it has no remote";
        throw new Refusal(`--remote "${remote}": no such remote in ${repoRoot} (${has}); ${nothing}`);
    }
}

/** The digests a stack file's text pins, sorted; undefined when it does not parse. */
function pinnedDigests(file: string, text: string): string[] | undefined {
    try {
        return pinsOfConfig(parseStackFileText(file, text).config)
            .map((p) => p.digest ?? "")
            .sort();
    } catch {
        return undefined;
    }
}

export function sameDigests(a: string[], b: string[]): boolean {
    return [...a].sort().join(" ") === [...b].sort().join(" ");
}

/**
 * The branch on `remote` that already proposes `digests` for `target`: a `promote/<target>-…` branch
 * whose stack file (`file`, relative to the root) pins exactly those digests. Judged by content, not by
 * name, so a set's branch and a single image's are found alike. Only the refs it needs are fetched, and
 * no ref of the clone is written.
 */
export function proposedOnRemote(
    repoRoot: string,
    remote: string,
    target: string,
    file: string,
    digests: string[],
): string | undefined {
    const listing = remoteGit(
        repoRoot,
        ["ls-remote", "--heads", remote, `refs/heads/promote/${target}-*`],
        `git ls-remote ${remote}`,
    );
    const refs = listing
        .split("\n")
        .filter((l) => l.includes("\t"))
        .map((l) => {
            const [sha, ref] = l.split("\t");
            return { sha, ref };
        });
    const missing = refs.filter((r) => !hasCommit(repoRoot, r.sha)).map((r) => r.ref);
    if (missing.length > 0) {
        const fetch = ["fetch", "-q", "--no-tags", "--no-write-fetch-head", "--refmap=", remote, ...missing];
        remoteGit(repoRoot, fetch, `git fetch from ${remote}`);
    }
    for (const r of refs) {
        const text = textAt(repoRoot, r.sha, file);
        const pinned = text === undefined ? undefined : pinnedDigests(file, text);
        if (pinned !== undefined && sameDigests(pinned, digests)) return r.ref.replace(/^refs\/heads\//, "");
    }
    return undefined;
}

function hasCommit(repoRoot: string, sha: string): boolean {
    try {
        runGit(repoRoot, ["cat-file", "-e", `${sha}^{commit}`]);
        return true;
    } catch (e) {
        if (e instanceof GitError) return false;
        throw e;
    }
}

/** What git said when it failed: its error lines, never a `To <url>` line (a URL may hold a token). */
function gitReason(stderr: string): string {
    const lines = stderr
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("To "));
    const said = lines.filter((l) => /^(fatal:|error:|remote: error|! )/.test(l));
    return (said.length > 0 ? said : lines.slice(-1)).join("; ") || "no reason given";
}

/** git against the remote, never prompting for credentials; a failure is `what` failed and git's reason. */
function remoteGit(repoRoot: string, args: string[], what: string): string {
    try {
        return execFileSync("git", ["-C", repoRoot, ...args], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
        });
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new Refusal(`${what} failed: ${gitReason(err.stderr || err.message)}`);
    }
}

/**
 * `git push <remote> <branch>`, each push option as `-o` (GitLab: `merge_request.create`). Never forced:
 * a remote branch of the same name with other commits is git's rejection, not an overwrite.
 */
export function pushBranch(repoRoot: string, remote: string, branch: string, pushOptions: string[]): void {
    const ref = `refs/heads/${branch}`;
    const options = pushOptions.flatMap((o) => ["-o", o]);
    remoteGit(repoRoot, ["push", "-q", ...options, remote, `${ref}:${ref}`], `git push of ${branch} to ${remote}`);
}
