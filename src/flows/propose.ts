import * as path from "path";
import { GitError, uncommittedFiles } from "../release";
import type { SigningKey } from "../signing";
import { listStacks, promotionOrder, StackImageConfig } from "../stackconfig";
import { asTrusted } from "./evidence";
import { gitRun, headRef } from "./git";
import { promote, PromoteDeps } from "./promote";
import { pinsNamed, Readiness, sourceReadiness } from "./proposalEvidence";
import { Refusal } from "./refusal";
import { proposedOnRemote, pushBranch, refuseUnknownRemote, sameDigests } from "./remoteBranch";
import { loadStack, StackOptions } from "./stack";
import { GateMember, verifierKeys } from "./verification";

export interface ProposeOptions extends StackOptions {
    /** Where the branch is pushed; default `origin`. */
    remote?: string;
    /** Each one `git push -o <option>` (GitLab: `merge_request.create`). */
    pushOptions?: string[];
    /** The pipeline's verifier key: whose evidence counts for a target that names no verifierKeys. */
    verifierKey?: SigningKey;
    /** Propose only from these stacks (those a deploy just verified); default: every stack. */
    sources?: string[];
}

export type ProposeDeps = PromoteDeps;

export type ProposalOutcome =
    "proposed" | "already proposed" | "waiting" | "not verified" | "up to date" | "failed";

/** One next promotion: from a stack to one whose `promoteFrom` names it, and what became of it. */
export interface Proposal {
    from: string;
    to: string;
    /** The promotion branch: pushed now, or already on the remote. */
    branch?: string;
    /** The pull request's body (relative to the repository root), for `gh pr create --body-file`. */
    bodyFile?: string;
    pushed: boolean;
    outcome: ProposalOutcome;
    reason: string;
}

export interface ProposeResult {
    proposals: Proposal[];
}

const DEFAULT_REMOTE = "origin";

/**
 * Everything a proposal needs from the clone, checked before anything runs (and, for `deploy <range>
 * --propose`, before the deploy): the remote exists, and the stack files are committed, since a proposal
 * commits the target's pin change alone, on top of HEAD.
 */
export function proposePrecheck(o: ProposeOptions, nothing: string): void {
    let dirty: string[];
    try {
        gitRun(o.repoRoot, ["rev-parse", "--verify", "-q", "HEAD"]);
        dirty = uncommittedFiles(o.stacksDir).map((f) => f.trim());
    } catch (e) {
        if (!(e instanceof Refusal || e instanceof GitError)) throw e;
        throw new Refusal(`--propose: ${o.repoRoot} is not a git repository with a commit; ${nothing}`);
    }
    refuseUnknownRemote(o.repoRoot, o.remote ?? DEFAULT_REMOTE, nothing);
    if (dirty.length > 0) {
        throw new Refusal(
            `--propose commits each pin change alone, on top of HEAD, but the stack files have uncommitted changes (${dirty.join(", ")}): commit or stash them; ${nothing}`,
        );
    }
}

/** Every (source, target) pair: each target whose promoteFrom names a source, in promotion order. */
function pairs(o: ProposeOptions): { source: StackImageConfig; target: StackImageConfig }[] {
    const stacks = listStacks(o.stacksDir).map((s) => loadStack(o, s));
    const byName = new Map(stacks.map((s) => [s.stack, s]));
    const tree = Object.fromEntries(stacks.map((s) => [s.stack, s.promoteFrom]));
    const { order } = promotionOrder(tree, [...byName.keys()]);
    const sources = o.sources === undefined ? undefined : new Set(o.sources);
    return order.flatMap((name) => {
        const target = byName.get(name) as StackImageConfig;
        const source = target.promoteFrom === undefined ? undefined : byName.get(target.promoteFrom);
        if (source === undefined || (sources !== undefined && !sources.has(source.stack))) return [];
        return [{ source, target }];
    });
}

/** The source's pins by image; undefined (with the images) when it pins no digest for some. */
function sourcePins(s: StackImageConfig): { pins: GateMember[]; unpinned: string[] } {
    const names = Object.keys(s.images).sort();
    return {
        pins: names
            .filter((n) => s.images[n].digest !== undefined)
            .map((n) => ({
                image: n,
                repository: s.images[n].repository,
                digest: s.images[n].digest as string,
            })),
        unpinned: names.filter((n) => s.images[n].digest === undefined),
    };
}

/** Whose evidence counts: the keys the target trusts, else the key the pipeline's `check` signs with. */
function readinessOf(
    o: ProposeOptions,
    source: StackImageConfig,
    target: StackImageConfig,
    pins: GateMember[],
    deps: ProposeDeps,
): Promise<Readiness> {
    const trusted = verifierKeys(target, o.repoRoot);
    const keys = trusted.length > 0 ? trusted : o.verifierKey ? [asTrusted(o.verifierKey)] : [];
    if (keys.length === 0) {
        return Promise.resolve({
            outcome: "not verified",
            reason: `no verifier key to read ${source.stack}'s evidence with: set image-release:verifierKeys in ${target.stack} or IMAGE_RELEASE_VERIFIER_KEY`,
        });
    }
    const now = (deps.now ?? (() => new Date()))();
    return sourceReadiness(source.stack, pins, keys, { client: deps.client, now });
}

function localBranches(repoRoot: string): string[] {
    return gitRun(repoRoot, ["for-each-ref", "--format=%(refname:short)", "refs/heads/"])
        .split("\n")
        .filter((b) => b !== "");
}

/**
 * Puts HEAD back where it was and deletes the local branches the proposal made: the remote holds the
 * proposal (or it failed), and the clone stays as the pipeline checked it out.
 */
function restoreClone(repoRoot: string, start: string, before: string[]): void {
    if (headRef(repoRoot) !== start) gitRun(repoRoot, ["checkout", "-q", start]);
    for (const b of localBranches(repoRoot))
        if (!before.includes(b)) gitRun(repoRoot, ["branch", "-q", "-D", b]);
}

/** `promote --git` from the source, then the push; the clone is restored whatever happens. */
async function pushProposal(
    o: ProposeOptions,
    base: Pick<Proposal, "from" | "to">,
    ready: string,
    deps: ProposeDeps,
): Promise<Proposal> {
    const remote = o.remote ?? DEFAULT_REMOTE;
    const start = headRef(o.repoRoot);
    const before = localBranches(o.repoRoot);
    let branch: string | undefined;
    try {
        const r = await promote({ ...o, from: base.from, to: base.to, git: true }, deps);
        branch = r.branch;
        if (branch === undefined) throw new Refusal(`promote --git from ${base.from} made no branch`);
        pushBranch(o.repoRoot, remote, branch, o.pushOptions ?? []);
        return {
            ...base,
            branch,
            ...(r.pr ? { bodyFile: r.pr.file } : {}),
            pushed: true,
            outcome: "proposed",
            reason: ready,
        };
    } catch (e) {
        if (!(e instanceof Error)) throw e;
        const why = e instanceof Refusal ? e.message : `${e.name}: ${e.message}`;
        return { ...base, ...(branch ? { branch } : {}), pushed: false, outcome: "failed", reason: why };
    } finally {
        restoreClone(o.repoRoot, start, before);
    }
}

/** One target: up to date, not verified, waiting, already proposed, or proposed now. */
async function proposeOne(
    o: ProposeOptions,
    source: StackImageConfig,
    target: StackImageConfig,
    deps: ProposeDeps,
): Promise<Proposal> {
    const base = { from: source.stack, to: target.stack };
    const { pins, unpinned } = sourcePins(source);
    if (unpinned.length > 0 || pins.length === 0) {
        return {
            ...base,
            pushed: false,
            outcome: "not verified",
            reason: `${source.stack} pins no digest for ${unpinned.join(", ") || "its image"} (a stack that builds): only a pin its checks verified is proposed`,
        };
    }
    const digests = pins.map((p) => p.digest);
    const held = Object.values(target.images).map((i) => i.digest ?? "");
    if (sameDigests(held, digests)) {
        return {
            ...base,
            pushed: false,
            outcome: "up to date",
            reason: `${target.stack} already runs ${pinsNamed(pins)}`,
        };
    }
    const ready = await readinessOf(o, source, target, pins, deps);
    if (ready.outcome !== "ready")
        return { ...base, pushed: false, outcome: ready.outcome, reason: ready.reason };
    const remote = o.remote ?? DEFAULT_REMOTE;
    const file = path.relative(o.repoRoot, target.file);
    const proposed = proposedOnRemote(o.repoRoot, remote, target.stack, file, digests);
    if (proposed !== undefined) {
        return {
            ...base,
            branch: proposed,
            pushed: false,
            outcome: "already proposed",
            reason: `already proposed: branch ${proposed} on ${remote}`,
        };
    }
    return pushProposal(o, base, ready.reason, deps);
}

/**
 * `deploy --propose`, the next promotion: for each stack whose `promoteFrom` names a source, the
 * source's pins once its signed evidence shows they passed there and soaked, as `promote --git` makes
 * it (a branch with the pin change alone, and the pull request text), pushed to the remote. It never
 * merges, never forces a push, and leaves the clone's HEAD and branches as they were. A proposal the
 * remote already holds is not pushed again, so a scheduled job re-run creates nothing new. A failure
 * of one target is reported with the others.
 */
export async function propose(o: ProposeOptions, deps: ProposeDeps): Promise<ProposeResult> {
    proposePrecheck(o, "nothing proposed");
    const proposals: Proposal[] = [];
    for (const { source, target } of pairs(o)) {
        try {
            proposals.push(await proposeOne(o, source, target, deps));
        } catch (e) {
            // A registry that cannot be read, a remote that cannot be listed: this target's failure.
            if (!(e instanceof Error)) throw e;
            const reason = e instanceof Refusal ? e.message : `${e.name}: ${e.message}`;
            proposals.push({
                from: source.stack,
                to: target.stack,
                pushed: false,
                outcome: "failed",
                reason,
            });
        }
    }
    return { proposals };
}
