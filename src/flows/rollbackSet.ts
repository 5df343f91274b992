import * as path from "path";
import { code, md, sameRepository } from "../release";
import {
    HistoryImage,
    StackFileSnapshot,
    stackFileHistory,
    StackHistoryEntry,
    StackImageConfig,
} from "../stackconfig";
import { Refusal } from "./refusal";
import { PinDeps, PinOptions } from "./pin";
import { signedEvidence } from "./pinCheck";
import { checkEarlierDigest } from "./earlierPin";
import { applySetPin, MemberPin, SetPinResult } from "./setPin";
import { Combination, combinationKey, memberNames } from "./setMembers";
import { refuseRejected, verifierKeys, withoutRejected } from "./verification";

export interface SetRollbackOptions extends PinOptions {
    stack: string;
    to?: string;
    image?: string;
}

/** An earlier revision to restore: its commit, and each image's pin as it wrote it. */
export interface SetRollbackTarget {
    entry: StackHistoryEntry;
    images: Record<string, HistoryImage & { digest: string }>;
}

/** What each revision pinned for `names`, when it pinned every one of them. */
function combinationOf(e: StackHistoryEntry, names: string[]): Combination | undefined {
    const c: Combination = {};
    for (const name of names) {
        const digest = e.images?.[name]?.digest;
        if (digest === undefined) return undefined;
        c[name] = digest;
    }
    return c;
}

/**
 * The earlier combination `to` names: the Nth distinct combination of `names` (newest first) in the
 * stack file's history that differs from the current one. A set steps back by whole combinations.
 */
export function pickRollbackCombination(
    stack: string,
    current: Combination,
    names: string[],
    entries: StackHistoryEntry[],
    to?: string,
): SetRollbackTarget {
    if (to !== undefined && !/^\d+$/.test(to)) {
        throw new Refusal(
            `--to "${to}": stack "${stack}" pins a set, which steps back by whole combinations (--to N); roll one image back to a digest or version with --image NAME --to ${to}`,
        );
    }
    const steps = to === undefined ? 1 : Number(to);
    if (steps < 1) throw new Refusal(`--to ${to}: steps must be at least 1`);
    const seen = new Set([combinationKey(current)]);
    const older: SetRollbackTarget[] = [];
    for (const entry of entries) {
        const c = combinationOf(entry, names);
        if (c === undefined || seen.has(combinationKey(c))) continue;
        seen.add(combinationKey(c));
        const images = Object.fromEntries(
            names.map((n) => [n, { ...entry.images?.[n], digest: c[n] }]),
        ) as SetRollbackTarget["images"];
        older.push({ entry, images });
    }
    const pick = older[steps - 1];
    if (!pick) {
        throw new Refusal(
            `stack "${stack}" has only ${older.length} earlier combination(s) of images ${names.join(", ")} in git history; cannot go back ${steps}`,
        );
    }
    return pick;
}

/** Each image that changes, verified where its bytes are now, before anything is written. */
async function restoredMembers(
    o: SetRollbackOptions,
    stack: StackImageConfig,
    pick: SetRollbackTarget,
    deps: PinDeps,
): Promise<MemberPin[]> {
    const members: MemberPin[] = [];
    for (const name of Object.keys(pick.images).sort()) {
        const image = stack.images[name];
        const was = pick.images[name];
        if (was.digest === image.digest) continue;
        const held = await checkEarlierDigest(o.repoRoot, stack, image, was, deps);
        const from = sameRepository(held.repository, image.repository)
            ? was.sourceRepository
            : held.repository;
        members.push({
            name,
            repository: image.repository,
            digest: was.digest,
            version: was.version,
            gitSha: was.gitSha,
            promotedFrom: was.promotedFrom,
            sourceRepository: from === undefined || sameRepository(from, image.repository) ? undefined : from,
            platforms: image.platforms,
            previousDigest: image.digest,
            verified: held.description,
            evidence: held.signature ? [signedEvidence(held.signature)] : [],
        });
    }
    return members;
}

/** The target of `--image NAME`: that image's own history, as a single-image file's would be. */
function memberHistory(entries: StackHistoryEntry[], name: string): StackHistoryEntry[] {
    return entries.map((e) => {
        const { commit, shortCommit, date, author, message } = e;
        return { commit, shortCommit, date, author, message, ...e.images?.[name] };
    });
}

export interface SetRollback {
    result: SetPinResult;
    members: MemberPin[];
    commit: string;
}

/**
 * Roll a set back: the previous distinct combination (or the Nth), as one edit, commit and PR; with
 * `--image NAME` that image alone, from its own history (`pick` chooses as for a single-image file).
 */
export async function rollbackSet(
    o: SetRollbackOptions,
    stack: StackImageConfig,
    snapshot: StackFileSnapshot,
    deps: PinDeps,
    pickOne: (current: string | undefined, entries: StackHistoryEntry[]) => StackHistoryEntry,
): Promise<SetRollback> {
    const names = memberNames([stack], o.image);
    const history = stackFileHistory(o.repoRoot, stack.file);
    // Stepping back skips a revision that pins a rejected digest; a named one is refused below.
    const named = o.to !== undefined && !/^\d+$/.test(o.to);
    const entries = named ? history : await withoutRejected(stack, o.repoRoot, history, deps.client);
    let pick: SetRollbackTarget;
    if (o.image !== undefined) {
        const e = pickOne(stack.images[o.image].digest, memberHistory(entries, o.image));
        pick = { entry: e, images: { [o.image]: { ...e, digest: e.digest as string } } };
    } else {
        const current = Object.fromEntries(names.map((n) => [n, stack.images[n].digest ?? ""]));
        pick = pickRollbackCombination(o.stack, current, names, entries, o.to);
    }
    const members = await restoredMembers(o, stack, pick, deps);
    await refuseRejected(
        deps.client,
        verifierKeys(stack, o.repoRoot),
        members.map((m) => ({
            image: m.name,
            repository: m.sourceRepository ?? m.repository,
            digest: m.digest,
        })),
        `roll "${o.stack}" back to it`,
    );
    const { commit, shortCommit } = pick.entry;
    const what = members.map((m) => `${m.name} ${m.version ?? m.digest.slice(7, 19)}`).join(", ");
    const title = `Roll back ${o.stack} to ${what} (${shortCommit})`;
    const file = path.relative(o.repoRoot, stack.file);
    const ran = md`${code(o.stack)} ran ${names.length === 1 ? "it" : "this combination"} before: commit ${commit} pinned it in ${file}`;
    const result = await applySetPin(
        o,
        {
            stack,
            snapshot,
            kind: "rollback",
            members,
            evidence: [ran],
            trailer: [`rollback: restores the pin of commit ${commit}`],
        },
        deps,
        title,
    );
    return { result, members, commit };
}
