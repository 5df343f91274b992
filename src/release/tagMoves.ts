import { ReleaseRuleError } from "./errors";
import { isImmutableTag } from "./tags";

/*
 * Which tags may move to a digest, in what order they are written, and where each goes back to when
 * a later write fails. Pure: the registry reads where the tags point now, this decides, the registry
 * writes what it says. Which floating tags a release asks for at all (only-if-highest) is decided
 * before, by computeTagSet and supersededFloatingTags in tags.ts.
 */

export interface TagMove {
    tag: string;
    /** The digest the tag named before the move; absent when the tag did not exist. */
    previousDigest?: string;
    /** False when the tag already names the digest: nothing to send. */
    write: boolean;
    /** Where the tag goes back to if a later write fails: for a floating tag that named another digest. */
    restoreTo?: string;
}

/** An immutable tag that already names another digest, and keeps it. */
export interface TagRefusal {
    tag: string;
    current: string;
}

export interface TagMovePlan {
    digest: string;
    /**
     * Every requested tag once, in write order: immutable tags (X.Y.Z, git-<sha>) first, so a run that
     * dies midway leaves "the release exists, floating tags not moved yet", never a floating tag ahead
     * of its version.
     */
    moves: TagMove[];
    /** Immutable tags that name another digest. A plan with any refusal must not be written at all. */
    refused: TagRefusal[];
}

export interface TagMoveInput {
    digest: string;
    /** The tags asked for, in any order; a repeat counts once. */
    tags: readonly string[];
    /** Where each tag points now (`undefined`: it does not exist). Every requested tag needs an entry. */
    heads: ReadonlyMap<string, string | undefined>;
    /** Move immutable tags too. Default false. */
    force?: boolean;
}

/** The tags each once, immutable ones first: the order they are checked and written in. */
export function tagWriteOrder(tags: readonly string[]): string[] {
    const unique = [...new Set(tags)];
    return [...unique.filter((t) => isImmutableTag(t)), ...unique.filter((t) => !isImmutableTag(t))];
}

/** Plans pointing `tags` at `digest`, given where they point now. */
export function planTagMoves(o: TagMoveInput): TagMovePlan {
    const moves: TagMove[] = [];
    const refused: TagRefusal[] = [];
    for (const tag of tagWriteOrder(o.tags)) {
        if (!o.heads.has(tag)) throw new ReleaseRuleError(`no current digest given for tag "${tag}"`);
        const current = o.heads.get(tag);
        const moving = current !== undefined && current !== o.digest;
        const immutable = isImmutableTag(tag);
        if (moving && immutable && !o.force) refused.push({ tag, current });
        moves.push({
            tag,
            ...(current !== undefined ? { previousDigest: current } : {}),
            write: current !== o.digest,
            // A forced immutable tag stays on the new digest: that is what forcing asked for.
            ...(moving && !immutable ? { restoreTo: current } : {}),
        });
    }
    return { digest: o.digest, moves, refused };
}
