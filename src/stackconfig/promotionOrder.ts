import { PROJECT } from "./model";

/** Each stack's `image-release:promoteFrom` (undefined: a root of the tree), by stack name. */
export type PromotionTree = Record<string, string | undefined>;

/** The chain of stacks `stack` promotes from, nearest first; `cycle` when the chain comes back on itself. */
function upstream(tree: PromotionTree, stack: string): { chain: string[]; cycle?: string[] } {
    const chain: string[] = [];
    for (let at = tree[stack]; at !== undefined && at in tree; at = tree[at]) {
        if (at === stack || chain.includes(at)) {
            const from = at === stack ? 0 : chain.indexOf(at) + 1;
            const loop = at === stack ? [stack, ...chain, stack] : [...chain.slice(from - 1), at];
            return { chain, cycle: loop };
        }
        chain.push(at);
    }
    return { chain };
}

/**
 * Promotion order is a tree, not a chain: a stack comes after every stack it promotes from (directly or
 * through others), and stacks at the same depth (prod-eu and prod-us, both from staging) in name order.
 * A `promoteFrom` that names no stack of the tree makes a root. Every stack of `stacks` that is in or
 * behind a cycle of `promoteFrom` is a conflict, named with the cycle.
 */
export function promotionOrder(
    tree: PromotionTree,
    stacks: string[],
): { order: string[]; conflicts: string[] } {
    const conflicts = new Set<string>();
    const depth = new Map<string, number>();
    for (const stack of stacks) {
        const { chain, cycle } = upstream(tree, stack);
        if (cycle !== undefined) {
            conflicts.add(
                `${PROJECT}:promoteFrom makes a cycle (${[...cycle].reverse().join(" -> ")}, each promoting into the next): no promotion order puts "${stack}" after the stacks it promotes from`,
            );
        }
        depth.set(stack, chain.length);
    }
    const order = [...stacks].sort(
        (a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0),
    );
    return { order, conflicts: [...conflicts] };
}

/** Whether `stack` promotes (directly or through others) from `source`. */
export function promotesFrom(tree: PromotionTree, stack: string, source: string): boolean {
    return upstream(tree, stack).chain.includes(source);
}
