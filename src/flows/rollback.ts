import * as path from "path";
import { ImageDescription, ManifestNotFoundError, verifyFirstHolder } from "../registry";
import { isDigest } from "../release";
import { CliDeps, digestPrefix, loadStackSnapshot, signatureFor, signedEvidence } from "./context";
import { Refusal } from "./refusal";
import { distinctDigests, StackHistoryEntry, stackFileHistory } from "./gitHistory";
import { applyPin, PinOptions, PinResult } from "./pin";

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

export async function rollback(o: RollbackOptions, deps: CliDeps): Promise<RollbackResult> {
    const { config: stack, snapshot } = loadStackSnapshot(o, o.stack);
    const pick = pickRollbackTarget(o.stack, stack.digest, stackFileHistory(o.repoRoot, stack.file), o.to);
    const digest = pick.digest as string;
    // Where the earlier pin's bytes may live besides the stack's repository: the repository that pin was
    // copied from, or the stack's own repository in that commit (before a move to another registry).
    const elsewhere = [pick.sourceRepository, pick.repository].filter(
        (r): r is string => r !== undefined && r !== stack.repository,
    );
    const holders = [stack.repository, ...new Set(elsewhere)];
    let held: { index: number; description: ImageDescription };
    try {
        held = await verifyFirstHolder(
            deps.client,
            holders.map((r) => `${r}@${digest}`),
            stack.platforms,
        );
    } catch (e) {
        if (e instanceof ManifestNotFoundError) {
            throw new Refusal(
                `digest ${digest} is no longer in ${holders.join(" or ")} (garbage-collected?); refusing to roll back to it`,
            );
        }
        throw e;
    }
    const origin = holders[held.index];
    const verified = held.description;
    const signed = await signatureFor(deps, stack, o.repoRoot, origin, digest);
    // Found in the stack's own repository: the restored pin keeps the provenance it had.
    const sourceRepository = origin !== stack.repository ? origin : pick.sourceRepository;
    const r = await applyPin(
        o,
        {
            stack,
            snapshot,
            digest,
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
            verified,
            evidence: [
                `\`${o.stack}\` ran it before: commit ${pick.commit} pinned it in ${path.relative(o.repoRoot, stack.file)}`,
                ...(signed ? [signedEvidence(signed)] : []),
            ],
        },
        deps,
        `Roll back ${o.stack} to ${pick.version ?? digestPrefix(digest)} (${pick.shortCommit})`,
    );
    return {
        ...r,
        stack: o.stack,
        digest,
        version: pick.version,
        previousDigest: stack.digest,
        commit: pick.commit,
    };
}
