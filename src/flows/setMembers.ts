import { StackHistoryEntry, StackImageConfig } from "../stackconfig";
import { Refusal } from "./refusal";

/** A combination of a set: image name to digest. */
export type Combination = Record<string, string>;

/** The images a set change covers: `image` alone (it must be in every stack named), or every image. */
export function memberNames(stacks: StackImageConfig[], image?: string): string[] {
    if (image !== undefined) {
        for (const s of stacks) {
            if (s.images[image] === undefined) {
                const names = Object.keys(s.images).sort().join(", ");
                throw new Refusal(`stack "${s.stack}" has no image "${image}" (images: ${names})`);
            }
        }
        return [image];
    }
    return Object.keys(stacks[0].images).sort();
}

/**
 * Two stacks move a set as one unit only if they pin the same images: a name in one and not the other
 * would be dropped or invented by the move, so it is refused, naming it.
 */
export function sameMembers(a: StackImageConfig, b: StackImageConfig): void {
    const only = (x: StackImageConfig, y: StackImageConfig) =>
        Object.keys(x.images)
            .filter((n) => y.images[n] === undefined)
            .sort();
    const onlyA = only(a, b);
    const onlyB = only(b, a);
    if (onlyA.length === 0 && onlyB.length === 0) return;
    const parts = [
        ...(onlyA.length > 0 ? [`only in "${a.stack}": ${onlyA.join(", ")}`] : []),
        ...(onlyB.length > 0 ? [`only in "${b.stack}": ${onlyB.join(", ")}`] : []),
    ];
    throw new Refusal(
        `stacks "${a.stack}" and "${b.stack}" pin different images (${parts.join("; ")}); a set moves as one unit only between stacks that pin the same images (move one with --image NAME)`,
    );
}

/** What a revision pinned for one image: its set member, or a single-image file's one pin. */
export function revisionDigest(e: StackHistoryEntry, name: string, singleName: string): string | undefined {
    if (e.images !== undefined) return e.images[name]?.digest;
    return name === singleName ? e.digest : undefined;
}

/** `api sha256:…, worker sha256:…`: how a refusal names a combination. */
export function describeCombination(c: Combination): string {
    return Object.keys(c)
        .sort()
        .map((n) => `${n} ${c[n]}`)
        .join(", ");
}

/** Same key for the same combination, whatever the order of its names. */
export function combinationKey(c: Combination): string {
    return Object.keys(c)
        .sort()
        .map((n) => `${n}=${c[n]}`)
        .join("\n");
}
