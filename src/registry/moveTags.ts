import { TagMove, TagMovePlan, TagRefusal, planTagMoves, tagWriteOrder } from "../release";
import { Repo, repoOf, requireDigest, requireTag } from "./endpoints";
import { ImmutableTagError, PartialTagError, RegistryError, RegistryProtocolError } from "./errors";
import { getManifest, headManifest, putManifest } from "./manifests";
import type { Manifest } from "./mediatypes";
import type { Session } from "./session";

/*
 * Tag moves: the registry reads where the tags point, `planTagMoves` (release/tagMoves.ts) decides
 * what may move and in what order, and this writes the plan, putting moved floating tags back when a
 * later write fails.
 */

export interface RetagResult {
    tag: string;
    digest: string;
    previousDigest?: string;
}

/** What the caller already read from the target repository, so applyTags sends no read of its own. */
export interface KnownTagState {
    /** `getManifest(name, digest)` from this very repository: its content digest is already checked. */
    manifest: Manifest;
    /** HEAD of requested tags (`undefined`: the tag does not exist); a tag missing here is read. */
    heads: ReadonlyMap<string, { digest: string } | undefined>;
}

/** A plan's refusals as the error they are: one immutable tag names itself, several are joined. */
export function refuseImmutable(repository: string, digest: string, refused: TagRefusal[]): void {
    const errors = refused.map((r) => new ImmutableTagError(repository, r.tag, r.current, digest));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new RegistryError(errors.map((e) => e.message).join("; "));
}

function resultOf(digest: string, move: TagMove): RetagResult {
    return {
        tag: move.tag,
        digest,
        ...(move.previousDigest !== undefined ? { previousDigest: move.previousDigest } : {}),
    };
}

/** Points one tag at `digest` by writing the digest's manifest bytes under it (no pull, no push). */
export async function retag(
    session: Session,
    name: string,
    digest: string,
    tag: string,
    opts: { force?: boolean } = {},
): Promise<RetagResult> {
    const repo = repoOf(name);
    requireTag(repo.name, tag);
    requireDigest(digest);
    // Both reads go out together (two round trips' latency, not three); the checks still run in
    // order and before the only write.
    const [head, get] = await Promise.allSettled([
        headManifest(session, repo.name, tag),
        getManifest(session, repo.name, digest),
    ]);
    if (head.status === "rejected") throw head.reason;
    const plan = planTagMoves({
        digest,
        tags: [tag],
        heads: new Map([[tag, head.value?.digest]]),
        force: opts.force,
    });
    const [move] = plan.moves;
    if (!move.write) return resultOf(digest, move);
    refuseImmutable(repo.name, digest, plan.refused);
    if (get.status === "rejected") throw get.reason;
    const written = await putManifest(session, repo.name, tag, get.value.bytes, get.value.mediaType);
    if (written !== digest)
        throw new RegistryProtocolError(
            `retag ${tag} in ${repo.name} produced ${written}, expected ${digest}`,
        );
    return resultOf(digest, move);
}

/**
 * Every read and check happens before the first write, so a refused tag or an unreachable registry
 * during planning leaves the registry untouched. A caller that has just read the target passes
 * `known` (the manifest, and the heads of the tags it read): those reads are not sent again.
 */
export async function applyTags(
    session: Session,
    name: string,
    digest: string,
    tags: string[],
    opts: { force?: boolean; known?: KnownTagState } = {},
): Promise<RetagResult[]> {
    const repo = repoOf(name);
    requireDigest(digest);
    const ordered = tagWriteOrder(tags);
    for (const t of ordered) requireTag(repo.name, t);
    const known = opts.known;
    if (known && known.manifest.digest !== digest) {
        throw new RegistryError(
            `applyTags for ${digest} in ${repo.name} was handed manifest ${known.manifest.digest}`,
        );
    }
    const manifest = known?.manifest ?? (await getManifest(session, repo.name, digest));
    const unread = ordered.filter((t) => !known?.heads.has(t));
    const read = await Promise.all(unread.map((t) => headManifest(session, repo.name, t)));
    const heads = new Map<string, string | undefined>(unread.map((t, i) => [t, read[i]?.digest]));
    for (const [t, head] of known?.heads ?? []) heads.set(t, head?.digest);
    const plan = planTagMoves({ digest, tags: ordered, heads, force: opts.force });
    refuseImmutable(repo.name, digest, plan.refused);
    const requested = [...new Set(tags)];
    const applied = await writePlan(session, repo, manifest, plan, requested);
    return requested.map((t) =>
        resultOf(
            digest,
            applied.find((m) => m.tag === t)!,
        ),
    );
}

/** Writes the plan's moves in order; on a failure, restores what moved and names what was applied. */
async function writePlan(
    session: Session,
    repo: Repo,
    manifest: Manifest,
    plan: TagMovePlan,
    requested: string[],
): Promise<TagMove[]> {
    const applied: TagMove[] = [];
    for (const move of plan.moves) {
        if (!move.write) {
            applied.push(move);
            continue;
        }
        try {
            const written = await putManifest(
                session,
                repo.name,
                move.tag,
                manifest.bytes,
                manifest.mediaType,
            );
            if (written !== plan.digest)
                throw new RegistryProtocolError(
                    `tag ${move.tag} in ${repo.name} produced ${written}, expected ${plan.digest}`,
                );
            applied.push(move);
        } catch (e) {
            const restored = await restore(session, repo, applied);
            const done = applied.map((a) => a.tag);
            const notDone = requested.filter((t) => !done.includes(t));
            throw new PartialTagError(repo.name, done, notDone, restored, e as Error);
        }
    }
    return applied;
}

/** Best effort: the floating tags that moved go back to where they were. */
async function restore(session: Session, repo: Repo, applied: TagMove[]): Promise<string[]> {
    const restored: string[] = [];
    for (const a of applied) {
        if (a.restoreTo === undefined) continue;
        try {
            const prev = await getManifest(session, repo.name, a.restoreTo);
            await putManifest(session, repo.name, a.tag, prev.bytes, prev.mediaType);
            restored.push(a.tag);
        } catch {
            // The registry is likely down; the error we throw names what stayed applied.
        }
    }
    return restored;
}
