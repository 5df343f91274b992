import * as path from "path";
import { BlobNotFoundError, ManifestNotFoundError } from "../registry";
import { code, isDigest, md } from "../release";
import { distinctDigests, stackFileHistory, StackHistoryEntry, StackImageConfig } from "../stackconfig";
import { CliDeps, digestPrefix } from "./context";
import { Refusal } from "./refusal";
import { applyPin, PinChange, PinDeps, PinOptions, PinResult } from "./pin";
import { checkPin, PinRefusal, signedEvidence, stackPinCheck, VerifiedPin } from "./pinCheck";
import { loadStackSnapshot } from "./stack";

export interface RollbackOptions extends PinOptions {
    stack: string;
    /** A digest, a version, or a number of distinct digests back; default 1. */
    to?: string;
}

export interface RollbackResult extends PinResult {
    stack: string;
    digest: string;
    version?: string;
    previousDigest?: string;
    commit: string;
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

/**
 * The stack's pin check for the earlier digest, which may live besides the stack's repository in the
 * repository that pin was copied from, or in the stack's own repository of that commit (before a move
 * to another registry). A digest none of them holds any more is refused as such.
 */
async function checkEarlierPin(
    o: RollbackOptions,
    stack: StackImageConfig,
    pick: StackHistoryEntry,
    deps: CliDeps,
): Promise<VerifiedPin> {
    const digest = pick.digest as string;
    const elsewhere = [pick.sourceRepository, pick.repository].filter(
        (r): r is string => r !== undefined && r !== stack.repository,
    );
    const holders = [stack.repository, ...new Set(elsewhere)];
    try {
        return await checkPin(stackPinCheck(stack, digest, o.repoRoot, holders), deps);
    } catch (e) {
        // Its index, or a manifest's config blob, collected: either way the bytes to roll back to are gone.
        const gone = e instanceof PinRefusal && e.step === "registry" && isGone(e.reason);
        if (gone) {
            throw new Refusal(
                `digest ${digest} is no longer in ${holders.join(" or ")} (garbage-collected?); refusing to roll back to it`,
            );
        }
        throw e;
    }
}

function isGone(e: unknown): boolean {
    return e instanceof ManifestNotFoundError || e instanceof BlobNotFoundError;
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

export async function rollback(o: RollbackOptions, deps: PinDeps): Promise<RollbackResult> {
    const { config: stack, snapshot } = loadStackSnapshot(o, o.stack);
    const pick = pickRollbackTarget(o.stack, stack.digest, stackFileHistory(o.repoRoot, stack.file), o.to);
    const held = await checkEarlierPin(o, stack, pick, deps);
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
