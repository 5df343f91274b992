import * as path from "path";
import {
    editStackText,
    StackFileSnapshot,
    StackImageConfig,
    unifiedDiff,
    writeStackFile,
} from "../stackconfig";
import { CliDeps, StackOptions } from "./context";
import { Refusal } from "./refusal";
import { PullRequestText, writePullRequest } from "./pullRequest";
import { copyImage, CopyOptions, CopyResult, ImageDescription, RegistryAuthError } from "../registry";
import { computeTagSet, GitError, runGit, writeFileAtomic } from "../release";
import { signatureArtifactTags } from "../signing";

export interface PinChange {
    stack: StackImageConfig;
    /** The text `stack` was parsed from: the write is refused unless the file still hashes to it. */
    snapshot: StackFileSnapshot;
    digest: string;
    version?: string;
    gitSha?: string;
    /** The stack the digest came from by promotion; `undefined` removes the key (no known source). */
    promotedFrom: string | undefined;
    /**
     * The repository the digest is copied from into the stack's own; `undefined` (the digest is
     * already the stack's repository's own) removes the key.
     */
    sourceRepository: string | undefined;
    platforms: string[];
    previousDigest?: string;
    /**
     * `promote` or `rollback`: the --git branch is `<kind>/<stack>-<version>-<digest12>`. A rollback
     * usually returns to a digest an earlier promotion already made a branch for, so the two must differ.
     */
    kind: "promote" | "rollback";
    /** Extra trailer lines for the commit message, e.g. which commit a rollback restores. */
    trailer?: string[];
    /** The registry's answer when the digest was verified for this stack's platforms (for the PR). */
    verified: ImageDescription;
    /** Why the digest may be pinned here, one line each (for the PR). */
    evidence: string[];
    /** The source stack of a promotion. */
    from?: string;
}

export interface PinOptions extends StackOptions {
    dryRun?: boolean;
    retag?: boolean;
    git?: boolean;
    /** Test seam for the race refusal. */
    beforeRename?: () => void;
}

export interface PinResult {
    file: string;
    diff: string;
    written: boolean;
    retagged?: { tag: string; previousDigest?: string };
    branch?: string;
    commitMessage: string;
    /** With --git: the pull request to open for the branch, its body also in `.image-release/pr/`. */
    pr?: PullRequestText;
    /** When the digest came from another repository: what the copy into the stack's repository did. */
    copied?: CopyResult;
}

/**
 * The copy that puts the digest into the stack's repository, with the release's immutable tags
 * (X.Y.Z, git-<sha>), whose immutability the copy checks in the target before sending anything.
 */
function copyFrom(c: PinChange, from: string): CopyOptions {
    const tags =
        c.version !== undefined && c.gitSha !== undefined
            ? computeTagSet({ version: c.version, gitSha: c.gitSha }).immutable
            : [];
    // The signature and attestations travel with the digest, so the target stack can verify it at home.
    const artifactTags = signatureArtifactTags(c.digest);
    return { from, to: c.stack.repository, digest: c.digest, tags, artifactTags };
}

/**
 * The shared write path of promote and rollback. Order matters for "nothing half-applied": the file
 * is written only after every registry check passed, and the channel tag moves only after the write.
 */
export async function applyPin(
    o: PinOptions,
    c: PinChange,
    deps: CliDeps,
    title: string,
): Promise<PinResult> {
    const snap = c.snapshot;
    const after = editStackText(c.stack.file, snap.text, {
        digest: c.digest,
        ...(c.version !== undefined ? { version: c.version } : {}),
        ...(c.gitSha !== undefined ? { gitSha: c.gitSha } : {}),
        promotedFrom: c.promotedFrom,
        sourceRepository: c.sourceRepository,
    });
    const rel = path.relative(o.repoRoot, c.stack.file);
    const diff = unifiedDiff(rel, snap.text, after);
    const commitMessage = [
        title,
        "",
        `from: ${c.promotedFrom ?? "-"}`,
        `to: ${c.stack.stack}`,
        `version: ${c.version ?? "-"}`,
        `digest: ${c.digest}`,
        `platforms: ${c.platforms.join(", ")}`,
        `previous digest: ${c.previousDigest ?? "-"}`,
        ...(c.trailer ?? []),
        "",
    ].join("\n");
    const result: PinResult = { file: rel, diff, written: false, commitMessage };
    const copy = c.sourceRepository !== undefined ? copyFrom(c, c.sourceRepository) : undefined;
    if (o.dryRun) {
        if (copy) result.copied = await copyInto(deps, { ...copy, checkOnly: true });
        return result;
    }
    const branch = o.git
        ? `${c.kind}/${c.stack.stack}-${c.version ?? "unversioned"}-${c.digest.slice(7, 19)}`
        : undefined;
    // Every git precondition is checked before the first write, so a refusal here changes nothing.
    const start = branch ? gitPrecheck(o.repoRoot, branch) : undefined;
    // The bytes go first: a pin is written only once the stack's own repository serves its digest.
    if (copy) result.copied = await copyInto(deps, copy);
    writeStackFile(snap, after, { beforeRename: o.beforeRename });
    let committed = false;
    try {
        if (branch) {
            gitRun(o.repoRoot, ["checkout", "-q", "-b", branch]);
            committed = true;
            gitRun(o.repoRoot, ["add", "--", rel]);
            gitRun(o.repoRoot, ["commit", "-q", "-m", commitMessage, "--", rel]);
            result.branch = branch;
        }
        // Last, because it is the one step that cannot be undone locally: an earlier failure never moved it.
        if (o.retag && c.stack.channel) {
            const r = await deps.client.retag(c.stack.repository, c.digest, c.stack.channel);
            result.retagged = {
                tag: r.tag,
                ...(r.previousDigest ? { previousDigest: r.previousDigest } : {}),
            };
        }
    } catch (e) {
        undo(o.repoRoot, snap.file, snap.text, committed && branch && start ? { branch, start } : undefined);
        throw e;
    }
    result.written = true;
    if (branch) {
        result.pr = await writePullRequest(
            o.repoRoot,
            {
                title,
                kind: c.kind,
                branch,
                stacksDir: o.stacksDir,
                from: c.from,
                to: c.stack.stack,
                repository: c.stack.repository,
                version: c.version,
                digest: c.digest,
                previousDigest: c.previousDigest,
                verified: c.verified,
                evidence: c.evidence,
                diff,
            },
            deps,
        );
    }
    return result;
}

/** A refused login names the registry and how to fix it; either way no stack file was written yet. */
async function copyInto(deps: CliDeps, copy: CopyOptions): Promise<CopyResult> {
    try {
        return await copyImage(deps.client, copy);
    } catch (e) {
        if (e instanceof RegistryAuthError) {
            throw new Refusal(
                `cannot copy ${copy.digest} from ${copy.from} to ${copy.to}: ${e.message}; nothing was written (log in with \`docker login ${e.registry}\` or check the credentials for ${e.registry})`,
            );
        }
        throw e;
    }
}

/** Returns what to check out again on undo: the current branch name, or the commit if HEAD is detached. */
function gitPrecheck(repoRoot: string, branch: string): string {
    try {
        gitRun(repoRoot, ["rev-parse", "--verify", "-q", "HEAD"]);
    } catch {
        throw new Refusal(`--git: ${repoRoot} is not a git repository with a commit`);
    }
    gitRun(repoRoot, ["check-ref-format", "--branch", branch]);
    let exists = true;
    try {
        gitRun(repoRoot, ["rev-parse", "--verify", "-q", `refs/heads/${branch}`]);
    } catch {
        exists = false;
    }
    if (exists) throw new Refusal(`--git: branch ${branch} already exists; delete it or merge it first`);
    try {
        return gitRun(repoRoot, ["symbolic-ref", "-q", "--short", "HEAD"]).trim();
    } catch {
        return gitRun(repoRoot, ["rev-parse", "HEAD"]).trim();
    }
}

/** Puts the stack file (and the branch, if one was made) back as they were before the write. */
function undo(repoRoot: string, file: string, text: string, git?: { branch: string; start: string }): void {
    if (git) {
        try {
            gitRun(repoRoot, ["checkout", "-q", git.start]);
            gitRun(repoRoot, ["branch", "-q", "-D", git.branch]);
        } catch {
            // The file is restored below either way; a leftover branch is visible and harmless.
        }
    }
    writeFileAtomic(file, text);
}

function gitRun(repoRoot: string, args: string[]): string {
    try {
        return runGit(repoRoot, args);
    } catch (e) {
        throw new Refusal((e as GitError).message);
    }
}
