import * as path from "path";
import type { RegistryClient } from "../registry";
import { rejectionSummary, standingRejection } from "../release";
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

/** How many distinct digests, newest first, are read for rejections: those a hand can bring back. */
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
    const all = [...pins];
    for (const [file, fallback] of files) {
        for (const e of stackFileHistory(root, path.resolve(root, file))) all.push(...entryPins(e, fallback));
    }
    const seen = new Set<string>();
    return all.filter((m) => !seen.has(m.digest) && seen.add(m.digest)).slice(0, REJECTION_LOOKBACK);
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
        const standing = standingRejection(await readRejections(client, m.repository, m.digest, keys));
        return standing === undefined ? undefined : { digest: m.digest, summary: rejectionSummary(standing) };
    });
    return found.filter((r): r is RejectedPin => r !== undefined);
}
