import { createHash } from "crypto";
import * as path from "path";
import { CopyOptions, CopyResult } from "../registry";
import { Markdown, writeFileAtomic } from "../release";
import { signatureArtifactTags } from "../signing";
import {
    editStackText,
    pinEdits,
    StackEdits,
    StackFileSnapshot,
    StackImageConfig,
    unifiedDiff,
    writeStackFile,
} from "../stackconfig";
import { CliDeps } from "./context";
import { NewBranch, newBranchPrecheck } from "./git";
import { Refusal } from "./refusal";
import {
    commitThen,
    copyInto,
    PinDeps,
    PinnedDigest,
    PinOptions,
    PinResult,
    StackEditPlan,
    unwritten,
} from "./pin";
import { ReleaseNotes } from "./notes";
import { pinTags, pullRequestNotes } from "./pinNotes";
import { PullRequestText } from "./pullRequest";
import { SetNotes, setPullRequestText } from "./setPullRequest";
import { toolFile } from "./toolPath";

/** One image of a set as promote or rollback writes it, verified for the target's own platforms. */
export interface MemberPin extends PinnedDigest {
    name: string;
    /** The target's repository for this image: where the pin is pulled from and its channel tag moves. */
    repository: string;
}

/** One image a set's promote or rollback moved. */
export interface MovedImage {
    name: string;
    digest: string;
    version?: string;
    previousDigest?: string;
}

/** What each moved image of a set reports. */
export function movedImages(members: MemberPin[]): MovedImage[] {
    return members.map(({ name, digest, version, previousDigest }) => ({
        name,
        digest,
        ...(version !== undefined ? { version } : {}),
        ...(previousDigest !== undefined ? { previousDigest } : {}),
    }));
}

/** A change to several images of one stack file: one edit, one diff, one commit, one PR. */
export interface SetPinChange {
    stack: StackImageConfig;
    snapshot: StackFileSnapshot;
    kind: "promote" | "rollback";
    /** The images that change, in name order. */
    members: MemberPin[];
    /** Why the members may go here together (the combination's proof), for the PR. */
    evidence: Markdown[];
    trailer?: string[];
    from?: string;
}

export interface SetPinResult extends PinResult {
    copies: CopyResult[];
    /** With --retag: each image's channel tag as it moved, and where it pointed before. */
    retaggedImages?: { image: string; tag: string; previousDigest?: string }[];
}

interface SetPlan extends StackEditPlan {
    copies: CopyOptions[];
}

function memberEdits(c: SetPinChange): StackEdits {
    const edits: StackEdits = {};
    for (const m of c.members) {
        const { digest, version, gitSha, promotedFrom, sourceRepository } = m;
        Object.assign(
            edits,
            pinEdits(c.stack, { digest, version, gitSha, promotedFrom, sourceRepository }, m.name),
        );
    }
    return edits;
}

function planSet(o: PinOptions, c: SetPinChange, title: string): SetPlan {
    const after = editStackText(c.stack.file, c.snapshot.text, memberEdits(c));
    const file = path.relative(o.repoRoot, c.stack.file);
    const commitMessage = [
        title,
        "",
        `from: ${c.from ?? "-"}`,
        `to: ${c.stack.stack}`,
        ...c.members.map(
            (m) =>
                `image ${m.name}: version ${m.version ?? "-"}, digest ${m.digest}, platforms ${m.platforms.join(", ")}, previous digest ${m.previousDigest ?? "-"}`,
        ),
        ...(c.trailer ?? []),
        "",
    ].join("\n");
    const copies = c.members
        .filter((m) => m.sourceRepository !== undefined)
        .map((m) => ({
            from: m.sourceRepository as string,
            to: m.repository,
            digest: m.digest,
            tags: pinTags(m.version, m.gitSha),
            artifactTags: signatureArtifactTags(m.digest),
        }));
    return { file, after, diff: unifiedDiff(file, c.snapshot.text, after), commitMessage, copies };
}

/**
 * The --git branch: one image keeps the single-image shape with its name in it; a whole set is named
 * by its combination, so the same set promoted twice gets the same name (and is refused as existing).
 */
export function setBranchName(c: SetPinChange): string {
    if (c.members.length === 1) {
        const m = c.members[0];
        return `${c.kind}/${c.stack.stack}-${m.name}-${m.version ?? "unversioned"}-${m.digest.slice(7, 19)}`;
    }
    const combination = c.members.map((m) => `${m.name}=${m.digest}\n`).join("");
    const id = createHash("sha256").update(combination).digest("hex").slice(0, 12);
    return `${c.kind}/${c.stack.stack}-set-${id}`;
}

async function commitAndRetagSet(
    o: PinOptions,
    c: SetPinChange,
    deps: CliDeps,
    plan: SetPlan,
    branch: NewBranch | undefined,
): Promise<Pick<SetPinResult, "branch" | "retaggedImages">> {
    const channel = o.retag ? c.stack.channel : undefined;
    const moved = await commitThen(o, c.snapshot, plan, branch, () =>
        channel === undefined ? Promise.resolve(undefined) : retagMembers(c, deps, channel),
    );
    return { ...(branch ? { branch: branch.name } : {}), ...(moved ? { retaggedImages: moved } : {}) };
}

/**
 * Moves each image's channel tag. When one fails, the tags already moved go back to where they pointed,
 * so the set's tags never disagree with its (restored) stack file; a tag that did not exist before
 * cannot be deleted through the distribution API, and the error says so.
 */
async function retagMembers(
    c: SetPinChange,
    deps: CliDeps,
    channel: string,
): Promise<NonNullable<SetPinResult["retaggedImages"]>> {
    const moved: NonNullable<SetPinResult["retaggedImages"]> = [];
    try {
        for (const m of c.members) {
            const r = await deps.client.retag(m.repository, m.digest, channel);
            moved.push({
                image: m.name,
                tag: r.tag,
                ...(r.previousDigest ? { previousDigest: r.previousDigest } : {}),
            });
        }
        return moved;
    } catch (e) {
        const left: string[] = [];
        for (const t of moved) {
            const m = c.members.find((x) => x.name === t.image) as MemberPin;
            if (t.previousDigest === undefined)
                left.push(`${m.repository}:${channel} (new, now ${m.digest})`);
            else
                await deps.client
                    .retag(m.repository, t.previousDigest, channel)
                    .catch(() => left.push(`${m.repository}:${channel}`));
        }
        if (left.length === 0) throw e;
        throw new Refusal(
            `${(e as Error).message}; the stack file is restored, but these channel tags could not be put back: ${left.join(", ")}`,
        );
    }
}

/** Each moving image's release notes for the PR (or why there are none); never throws. */
async function membersNotes(o: PinOptions, c: SetPinChange, deps: PinDeps): Promise<SetNotes> {
    const notes: Record<string, ReleaseNotes | string> = {};
    for (const m of c.members) {
        notes[m.name] = await pullRequestNotes(
            {
                repoRoot: o.repoRoot,
                stacksDir: o.stacksDir,
                repository: m.repository,
                digest: m.digest,
                ...(m.version !== undefined ? { version: m.version } : {}),
                ...(m.gitSha !== undefined ? { gitSha: m.gitSha } : {}),
            },
            deps,
            deps.releaseNotes,
        );
    }
    return notes;
}

/**
 * The write path of a set: every member was verified before this is called; the copies go first, then
 * the one edit of the stack file, the commit, the channel tags, and the PR body.
 */
export async function applySetPin(
    o: PinOptions,
    c: SetPinChange,
    deps: PinDeps,
    title: string,
): Promise<SetPinResult> {
    const plan = planSet(o, c, title);
    const result: SetPinResult = { ...unwritten(plan), copies: [] };
    if (o.dryRun) {
        for (const copy of plan.copies)
            result.copies.push(await copyInto(deps, { ...copy, checkOnly: true }));
        return result;
    }
    const branch = o.git ? newBranchPrecheck(o.repoRoot, setBranchName(c)) : undefined;
    if (branch) toolFile("pr", `${branch.name}.md`);
    for (const copy of plan.copies) result.copies.push(await copyInto(deps, copy));
    writeStackFile(c.snapshot, plan.after, { beforeRename: o.beforeRename });
    Object.assign(result, await commitAndRetagSet(o, c, deps, plan, branch));
    result.written = true;
    if (branch) {
        const notes = await membersNotes(o, c, deps);
        const pr: PullRequestText = setPullRequestText(
            c,
            { title, branch: branch.name, diff: plan.diff },
            notes,
        );
        writeFileAtomic(path.join(o.repoRoot, pr.file), pr.body);
        result.pr = pr;
    }
    return result;
}
