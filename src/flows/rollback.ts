import * as path from "path";
import { CopyResult } from "../registry";
import { code, isDigest, md } from "../release";
import { distinctDigests, stackFileHistory, StackHistoryEntry, StackImageConfig } from "../stackconfig";
import { digestPrefix } from "./context";
import { Refusal } from "./refusal";
import { applyPin, PinChange, PinDeps, PinOptions, PinResult } from "./pin";
import { signedEvidence, VerifiedPin } from "./pinCheck";
import { checkEarlierDigest } from "./earlierPin";
import { rollbackSet } from "./rollbackSet";
import { MovedImage, movedImages, SetPinResult } from "./setPin";
import { memberNames } from "./setMembers";
import { loadStackSnapshot } from "./stack";
import { refuseRejected, verifierKeys, withoutRejected } from "./verification";

export interface RollbackOptions extends PinOptions {
    stack: string;
    /** A digest, a version, or a number of distinct digests back; default 1. For a set: combinations back. */
    to?: string;
    /** Roll this image of a set back alone; without it a set rolls back as one unit. */
    image?: string;
}

export interface RollbackResult extends PinResult {
    stack: string;
    digest: string;
    version?: string;
    previousDigest?: string;
    commit: string;
    /** A set's rollback: each image that moved (the single-image fields hold the first). */
    images?: MovedImage[];
    /** A set's rollback: the copy of each image that came from another repository. */
    copies?: CopyResult[];
    /** A set's --retag: each image's channel tag as it moved, and where it pointed before. */
    retaggedImages?: SetPinResult["retaggedImages"];
}

export function pickRollbackTarget(
    stack: string,
    current: string | undefined,
    entries: StackHistoryEntry[],
    to?: string,
): StackHistoryEntry {
    const distinct = distinctDigests(entries);
    const older = distinct.filter((e) => e.digest !== current);
    let pick: StackHistoryEntry | undefined;
    if (to === undefined || /^\d+$/.test(to)) {
        const steps = to === undefined ? 1 : Number(to);
        if (steps < 1) throw new Refusal(`--to ${to}: steps must be at least 1`);
        pick = older[steps - 1];
        if (!pick) {
            throw new Refusal(
                `stack "${stack}" has only ${older.length} earlier digest(s) in git history; cannot go back ${steps}`,
            );
        }
    } else if (to.startsWith("sha256:")) {
        if (!isDigest(to)) throw new Refusal(`--to "${to}" is not a digest (sha256:<64 hex>)`);
        if (to === current)
            throw new Refusal(
                `stack "${stack}" already runs ${to}; refusing to roll back to the current digest`,
            );
        pick = older.find((e) => e.digest === to);
        if (!pick) throw new Refusal(`digest ${to} never ran in stack "${stack}" (not in git history)`);
    } else {
        pick = entries.find((e) => e.version === to && e.digest !== undefined);
        if (!pick) throw new Refusal(`version ${to} never ran in stack "${stack}" (not in git history)`);
        if (pick.digest === current) {
            throw new Refusal(
                `stack "${stack}" already runs ${to} (${current}); refusing to roll back to the current digest`,
            );
        }
    }
    return pick;
}

/** What rollback writes: the earlier pin as it was, from wherever its bytes are now. */
function rollbackPin(
    o: RollbackOptions,
    stack: StackImageConfig,
    snapshot: PinChange["snapshot"],
    pick: StackHistoryEntry,
    held: VerifiedPin,
): PinChange {
    // Found in the stack's own repository: the restored pin keeps the provenance it had.
    const sourceRepository = held.repository !== stack.repository ? held.repository : pick.sourceRepository;
    return {
        stack,
        snapshot,
        digest: held.digest,
        version: pick.version,
        gitSha: pick.gitSha,
        // The restored pin's own origin: the program exports it as release.sourceStack and the
        // change-cause says "promoted from <it>", which must stay true; the commit says it was a rollback.
        promotedFrom: pick.promotedFrom,
        sourceRepository: sourceRepository === stack.repository ? undefined : sourceRepository,
        platforms: stack.platforms,
        previousDigest: stack.digest,
        kind: "rollback",
        trailer: [`rollback: restores the pin of commit ${pick.commit}`],
        verified: held.description,
        evidence: [
            md`${code(o.stack)} ran it before: commit ${pick.commit} pinned it in ${path.relative(o.repoRoot, stack.file)}`,
            ...(held.signature ? [signedEvidence(held.signature)] : []),
        ],
    };
}

/** A set's rollback, reported with the single-image fields holding its first moved image. */
async function rollbackMembers(
    o: RollbackOptions,
    stack: StackImageConfig,
    snapshot: PinChange["snapshot"],
    deps: PinDeps,
): Promise<RollbackResult> {
    const pickOne = (current: string | undefined, entries: StackHistoryEntry[]) =>
        pickRollbackTarget(o.stack, current, entries, o.to);
    const { result, members, commit } = await rollbackSet(o, stack, snapshot, deps, pickOne);
    const first = members[0];
    return {
        ...result,
        stack: o.stack,
        digest: first.digest,
        version: first.version,
        previousDigest: first.previousDigest,
        commit,
        images: movedImages(members),
    };
}

export async function rollback(o: RollbackOptions, deps: PinDeps): Promise<RollbackResult> {
    const { config: stack, snapshot } = loadStackSnapshot(o, o.stack);
    if (stack.form === "set") return rollbackMembers(o, stack, snapshot, deps);
    if (o.image !== undefined) memberNames([stack], o.image);
    const history = stackFileHistory(o.repoRoot, stack.file);
    // Stepping back skips a rejected digest; one named by --to is refused with its rejection below.
    const named = o.to !== undefined && !/^\d+$/.test(o.to);
    const entries = named ? history : await withoutRejected(stack, o.repoRoot, history, deps.client);
    const pick = pickRollbackTarget(o.stack, stack.digest, entries, o.to);
    const held = await checkEarlierDigest(
        o.repoRoot,
        stack,
        stack,
        { ...pick, digest: pick.digest as string },
        deps,
    );
    const image = Object.keys(stack.images)[0];
    const member = { image, repository: held.repository, digest: held.digest };
    await refuseRejected(
        deps.client,
        verifierKeys(stack, o.repoRoot),
        [member],
        `roll "${o.stack}" back to it`,
    );
    const title = `Roll back ${o.stack} to ${pick.version ?? digestPrefix(held.digest)} (${pick.shortCommit})`;
    const r = await applyPin(o, rollbackPin(o, stack, snapshot, pick, held), deps, title);
    return {
        ...r,
        stack: o.stack,
        digest: held.digest,
        version: pick.version,
        previousDigest: stack.digest,
        commit: pick.commit,
    };
}
