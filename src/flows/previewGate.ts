import type { RegistryClient } from "../registry";
import { imageKeyLabel, stackFileHistory, StackHistoryEntry, StackImageConfig } from "../stackconfig";
import { Refusal } from "./refusal";
import { GateMember, verificationGate } from "./verification";

/** The image's digests in the stack file's history, newest first (a set's member, or the single image). */
function digestsOf(
    entries: StackHistoryEntry[],
    cfg: StackImageConfig,
    image: string,
): (string | undefined)[] {
    return entries.map((e) => (cfg.form === "set" ? e.images?.[image]?.digest : e.digest));
}

/**
 * Whether the stack ran `digest` before and replaced it: it is pinned by a committed revision older than
 * the newest run of revisions that pin it. A rollback restores such a digest; a hand edit that brings
 * in a new digest has no older revision, so it needs evidence.
 */
export function ranBefore(history: (string | undefined)[], digest: string): boolean {
    let i = 0;
    while (i < history.length && history[i] === digest) i++;
    return history.slice(i).includes(digest);
}

/**
 * The preview's verification gate, so a hand edit cannot skip what promote checks: no pin is rejected by
 * a verifier key the stack trusts, and where the stack requires verification, each pin it did not run
 * before has soaked, passing evidence from its promoteFrom. Refusals name the stack file's key.
 */
export async function previewVerification(
    cfg: StackImageConfig,
    root: string,
    pins: GateMember[],
    client: RegistryClient,
): Promise<void> {
    if (cfg.requireVerification !== true && (cfg.verifierKeys ?? []).length === 0) return;
    const history = cfg.requireVerification === true ? stackFileHistory(root, cfg.file) : [];
    const exempt = pins.filter((p) => ranBefore(digestsOf(history, cfg, p.image), p.digest));
    const members = cfg.requireVerification === true ? pins.filter((p) => !exempt.includes(p)) : [];
    for (const m of [...members, ...exempt]) {
        const one = { exempt: exempt.includes(m) ? [m] : [], members: exempt.includes(m) ? [] : [m] };
        if (one.members.length > 0 && cfg.promoteFrom === undefined) {
            throw new Refusal(
                `${cfg.file}: ${imageKeyLabel(cfg, m.image, "digest")}: stack "${cfg.stack}" requires verified digests but names no image-release:promoteFrom whose checks would count`,
            );
        }
        try {
            await verificationGate(
                {
                    target: cfg,
                    root,
                    from: cfg.promoteFrom ?? "",
                    ...one,
                    action: `run it in "${cfg.stack}"`,
                },
                { client },
            );
        } catch (e) {
            if (!(e instanceof Refusal)) throw e;
            throw new Refusal(`${cfg.file}: ${imageKeyLabel(cfg, m.image, "digest")}: ${e.message}`);
        }
    }
}
