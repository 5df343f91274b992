import { isImmutableTag } from "../release";

/**
 * Tags that name one build forever (X.Y.Z, X.Y.Z-pre, git-<hex>). Moving them would silently change what
 * a pinned deploy means, so only floating tags may move. The rule lives in src/release so the tag-set
 * computation and the registry agree on it.
 */
export function isImmutableTagName(tag: string): boolean {
    return isImmutableTag(tag);
}
