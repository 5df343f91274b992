import * as path from "path";
import {
    editStackText,
    pinEdits,
    StackFileSnapshot,
    StackImageConfig,
    unifiedDiff,
    writeStackFile,
} from "../stackconfig";
import { CliDeps } from "./context";
import { StackOptions } from "./stack";
import { Refusal } from "./refusal";
import { commitFile, gitRun, NewBranch, newBranchPrecheck, restore } from "./git";
import { PinNotesFn, pinTags, pullRequestNotes } from "./pinNotes";
import { PullRequestText, pullRequestText } from "./pullRequest";
import { toolFile } from "./toolPath";
import { copyImage, CopyOptions, CopyResult, ImageDescription, RegistryAuthError } from "../registry";
import { Markdown, shellCommand, writeFileAtomic } from "../release";
import { signatureArtifactTags } from "../signing";

/** What one pinned digest carries into a stack file, its PR and its commit: a single pin or a set member. */
export interface PinnedDigest {
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
    /** The registry's answer when the digest was verified for this stack's platforms (for the PR). */
    verified: ImageDescription;
    /** Why the digest may be pinned here, one line each (for the PR), built with `md`. */
    evidence: Markdown[];
}

export interface PinChange extends PinnedDigest {
    stack: StackImageConfig;
    /** The text `stack` was parsed from: the write is refused unless the file still hashes to it. */
    snapshot: StackFileSnapshot;
    /**
     * `promote` or `rollback`: the --git branch is `<kind>/<stack>-<version>-<digest12>`. A rollback
     * usually returns to a digest an earlier promotion already made a branch for, so the two must differ.
     */
    kind: "promote" | "rollback";
    /** Extra trailer lines for the commit message, e.g. which commit a rollback restores. */
    trailer?: string[];
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

/** What the pin transaction is handed: the registry client, and where the PR's release notes come from. */
export interface PinDeps extends CliDeps {
    /** Collects the pinned digest's release notes for the PR. Default: `digestNotes` (./pinNotes). */
    releaseNotes?: PinNotesFn;
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

/** The edit of one stack file as a transaction writes it: worked out before anything is written. */
export interface StackEditPlan {
    /** The stack file, relative to the repository root. */
    file: string;
    after: string;
    diff: string;
    commitMessage: string;
}

/** The result of a transaction before anything was written: what a dry run returns. */
export function unwritten(
    plan: StackEditPlan,
): Pick<PinResult, "file" | "diff" | "written" | "commitMessage"> {
    return { file: plan.file, diff: plan.diff, written: false, commitMessage: plan.commitMessage };
}

/** Everything the transaction will write, worked out before anything is. */
interface PinPlan extends StackEditPlan {
    /** The copy into the stack's repository, when the digest comes from another. */
    copy?: CopyOptions;
}

function planPin(o: PinOptions, c: PinChange, title: string): PinPlan {
    const after = editStackText(
        c.stack.file,
        c.snapshot.text,
        pinEdits(c.stack, {
            digest: c.digest,
            version: c.version,
            gitSha: c.gitSha,
            promotedFrom: c.promotedFrom,
            sourceRepository: c.sourceRepository,
        }),
    );
    const file = path.relative(o.repoRoot, c.stack.file);
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
    const copy = c.sourceRepository !== undefined ? copyFrom(c, c.sourceRepository) : undefined;
    return { file, after, diff: unifiedDiff(file, c.snapshot.text, after), commitMessage, copy };
}

/**
 * The copy that puts the digest into the stack's repository, with the release's immutable tags
 * (X.Y.Z, git-<7>), whose immutability the copy checks in the target before sending anything.
 */
function copyFrom(c: PinChange, from: string): CopyOptions {
    const tags = pinTags(c.version, c.gitSha);
    // The signature and attestations travel with the digest, so the target stack can verify it at home.
    const artifactTags = signatureArtifactTags(c.digest);
    return { from, to: c.stack.repository, digest: c.digest, tags, artifactTags };
}

/** A refused login names the registry and how to fix it; either way no stack file was written yet. */
export async function copyInto(deps: CliDeps, copy: CopyOptions): Promise<CopyResult> {
    try {
        return await copyImage(deps.client, { ...copy, ...(deps.onLayer ? { onLayer: deps.onLayer } : {}) });
    } catch (e) {
        if (e instanceof RegistryAuthError) {
            throw new Refusal(
                `cannot copy ${copy.digest} from ${copy.from} to ${copy.to}: ${e.message}; nothing was written (log in with \`${shellCommand(["docker", "login", e.registry])}\` or check the credentials for ${e.registry})`,
            );
        }
        throw e;
    }
}

/**
 * After the write: the commit on the new branch, then the channel tag. A failure puts the file (and
 * HEAD) back; the tag moves last, because it is the one step that cannot be undone locally.
 */
async function commitAndRetag(
    o: PinOptions,
    c: PinChange,
    deps: CliDeps,
    plan: PinPlan,
    branch: NewBranch | undefined,
): Promise<Pick<PinResult, "branch" | "retagged">> {
    const retagged = await commitThen(o, c.snapshot, plan, branch, async () => {
        if (!o.retag || !c.stack.channel) return undefined;
        const r = await deps.client.retag(c.stack.repository, c.digest, c.stack.channel);
        return { tag: r.tag, ...(r.previousDigest ? { previousDigest: r.previousDigest } : {}) };
    });
    return {
        ...(branch ? { branch: branch.name } : {}),
        ...(retagged ? { retagged } : {}),
    };
}

/**
 * The commit of a written stack file on its new branch, then `after` (the channel tags). A failure of
 * either puts the file (and HEAD) back; the tags go last, as the one step that cannot be undone locally.
 */
export async function commitThen<T>(
    o: PinOptions,
    snapshot: StackFileSnapshot,
    plan: StackEditPlan,
    branch: NewBranch | undefined,
    after: () => Promise<T>,
): Promise<T> {
    let created = false;
    try {
        if (branch) {
            gitRun(o.repoRoot, ["checkout", "-q", "-b", branch.name]);
            created = true;
            commitFile(o.repoRoot, plan.file, plan.commitMessage);
        }
        return await after();
    } catch (e) {
        restore(o.repoRoot, snapshot.file, snapshot.text, created ? branch : undefined);
        throw e;
    }
}

/** The branch's pull request, with the pinned digest's release notes, written under `.image-release/pr/`. */
async function writePullRequest(
    o: PinOptions,
    c: PinChange,
    deps: PinDeps,
    pr: { title: string; branch: string; diff: string },
): Promise<PullRequestText> {
    const q = { repoRoot: o.repoRoot, stacksDir: o.stacksDir, repository: c.stack.repository };
    const releaseNotes = await pullRequestNotes(
        {
            ...q,
            version: c.version,
            digest: c.digest,
            ...(c.gitSha !== undefined ? { gitSha: c.gitSha } : {}),
        },
        deps,
        deps.releaseNotes,
    );
    const text = pullRequestText(
        {
            ...pr,
            kind: c.kind,
            from: c.from,
            to: c.stack.stack,
            repository: c.stack.repository,
            version: c.version,
            digest: c.digest,
            previousDigest: c.previousDigest,
            verified: c.verified,
            required: c.platforms,
            evidence: c.evidence,
        },
        releaseNotes,
    );
    writeFileAtomic(path.join(o.repoRoot, text.file), text.body);
    return text;
}

/**
 * The shared write path of promote and rollback. Order matters for "nothing half-applied": the file
 * is written only after every registry check passed, and the channel tag moves only after the write.
 */
export async function applyPin(
    o: PinOptions,
    c: PinChange,
    deps: PinDeps,
    title: string,
): Promise<PinResult> {
    const plan = planPin(o, c, title);
    const result: PinResult = unwritten(plan);
    if (o.dryRun) {
        if (plan.copy) result.copied = await copyInto(deps, { ...plan.copy, checkOnly: true });
        return result;
    }
    const name = o.git
        ? `${c.kind}/${c.stack.stack}-${c.version ?? "unversioned"}-${c.digest.slice(7, 19)}`
        : undefined;
    // Every git precondition is checked before the first write, so a refusal here changes nothing; the
    // PR body's file too, which must stay in .image-release/ (toolFile).
    const branch = name !== undefined ? newBranchPrecheck(o.repoRoot, name) : undefined;
    if (branch) toolFile("pr", `${branch.name}.md`);
    // The bytes go first: a pin is written only once the stack's own repository serves its digest.
    if (plan.copy) result.copied = await copyInto(deps, plan.copy);
    writeStackFile(c.snapshot, plan.after, { beforeRename: o.beforeRename });
    Object.assign(result, await commitAndRetag(o, c, deps, plan, branch));
    result.written = true;
    if (branch)
        result.pr = await writePullRequest(o, c, deps, { title, branch: branch.name, diff: plan.diff });
    return result;
}
