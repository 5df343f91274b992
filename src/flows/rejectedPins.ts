import * as path from "path";
import type { RegistryClient } from "../registry";
import { redactCredentials, rejectionSummary, standingRejection } from "../release";
import { Refusal } from "./refusal";
import { readRejections } from "../signing";
import { stackFileHistory, StackImageConfig } from "../stackconfig";
import { mapLimit } from "./limit";
import { entryPins, GateMember, verifierKeys } from "./verification";

/** A digest a trusted verifier key rejected, as the namespace's admission policy refuses it. */
export interface RejectedPin {
    readonly digest: string;
    /** One line: who rejected it, when and why (rejectionSummary). */
    readonly summary: string;
}

/** How many distinct digests of each stack file, newest first, are read for rejections: those a hand can bring back. */
export const REJECTION_LOOKBACK = 50;

/**
 * The digests a `kubectl rollout undo` or `set image` is likely to bring back, newest first: those the
 * stack pins now and pinned before (its file's history) and those its promoteFrom stack pinned, each
 * with the repository its `.att` is read from.
 */
function candidates(cfg: StackImageConfig, root: string, pins: GateMember[]): GateMember[] {
    const files: [string, string][] = [[cfg.file, cfg.repository]];
    if (cfg.promoteFrom !== undefined) {
        files.push([path.join(path.dirname(cfg.file), `Pulumi.${cfg.promoteFrom}.yaml`), cfg.repository]);
    }
    const seen = new Set<string>(pins.map((m) => m.digest));
    const all = [...pins];
    // The newest of each file's own: a long history of one stack never crowds out the other's.
    for (const [file, fallback] of files) {
        const own: GateMember[] = [];
        for (const e of stackFileHistory(root, path.resolve(root, file))) {
            for (const m of entryPins(e, fallback)) {
                if (own.length < REJECTION_LOOKBACK && !seen.has(m.digest)) own.push(m);
                seen.add(m.digest);
            }
        }
        all.push(...own);
    }
    return all;
}

/**
 * The standing rejections, by a verifier key the stack trusts, of the digests the stack (and its
 * promoteFrom) pinned lately: what the namespace's admission policy refuses, so that a rejected digest
 * can't come back through `kubectl`. Without verifier keys no rejection can be read: none.
 */
export async function rejectedPins(
    cfg: StackImageConfig,
    root: string,
    pins: GateMember[],
    client: RegistryClient,
): Promise<RejectedPin[]> {
    const keys = verifierKeys(cfg, root);
    if (keys.length === 0) return [];
    const found = await mapLimit(candidates(cfg, root, pins), 8, async (m) => {
        let statements;
        try {
            statements = await readRejections(client, m.repository, m.digest, keys);
        } catch (e) {
            throw new Refusal(
                `${cfg.file}: cannot read the rejections of ${redactCredentials(m.repository)}@${m.digest} (one of its recent pins) for the namespace's admission policy: ${(e as Error).message}`,
            );
        }
        const standing = standingRejection(statements);
        return standing === undefined ? undefined : { digest: m.digest, summary: rejectionSummary(standing) };
    });
    return found.filter((r): r is RejectedPin => r !== undefined);
}
