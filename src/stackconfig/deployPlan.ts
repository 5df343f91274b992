import type { StackFileChange } from "./commitRange";
import { pinOf } from "./history";
import { singleImageName } from "./images";
import { KeyChanges, stackKeyChanges } from "./keyChanges";
import { PROJECT } from "./model";
import { promotesFrom, promotionOrder, PromotionTree } from "./promotionOrder";
import { parseStackFileText } from "./read";

/** One image's pin in a revision of a stack file. */
export interface PlanPin {
    image: string;
    digest?: string;
    version?: string;
}

/** A stack the range changed: what changed, and what it pins at each end. */
export interface PlannedStack {
    stack: string;
    file: string;
    change: "new" | "changed" | "deleted";
    keys: KeyChanges;
    /** The pins at the range's end (none when the file was deleted), in image name order. */
    pins: PlanPin[];
    /** The pins at the range's start (none for a new file). */
    pinsBefore: PlanPin[];
}

export interface DeployPlan {
    /** In promotion order: a stack after every stack it promotes from. */
    stacks: PlannedStack[];
    /** Why the changed stacks have no sound promotion order, one line each. */
    conflicts: string[];
}

type Parsed = ReturnType<typeof parseStackFileText>;
const EMPTY: Parsed = { config: {}, top: {} };

/** Each image's pin in a parsed revision: a set's members, or the single image named as the program names it. */
export function pinsOfConfig(config: Record<string, unknown>): PlanPin[] {
    const pin = pinOf(config);
    const entry = (image: string, p: { digest?: string; version?: string }): PlanPin => ({
        image,
        ...(p.digest !== undefined ? { digest: p.digest } : {}),
        ...(p.version !== undefined ? { version: p.version } : {}),
    });
    if (pin.images !== undefined) return Object.entries(pin.images).map(([name, p]) => entry(name, p));
    const repository = config[`${PROJECT}:repository`];
    return typeof repository === "string" ? [entry(singleImageName(repository), pin)] : [];
}

/** A revision that no longer parses compares as empty: everything in the other one changed. */
function parsedOrEmpty(file: string, text: string | undefined): Parsed {
    if (text === undefined) return EMPTY;
    try {
        return parseStackFileText(file, text);
    } catch {
        return EMPTY;
    }
}

/** `image-release:promoteFrom` of every stack at the range's end (a file that does not parse: a root). */
function treeOf(atTo: Record<string, string>): PromotionTree {
    const tree: PromotionTree = {};
    for (const [stack, text] of Object.entries(atTo)) {
        const from = parsedOrEmpty(stack, text).config[`${PROJECT}:promoteFrom`];
        tree[stack] = typeof from === "string" ? from : undefined;
    }
    return tree;
}

function planned(c: StackFileChange): PlannedStack {
    // The end revision is what `pulumi up` would run: one that does not parse is refused, by its own error.
    const after = c.after === undefined ? EMPTY : parseStackFileText(c.file, c.after);
    const before = parsedOrEmpty(c.file, c.before);
    return {
        stack: c.stack,
        file: c.file,
        change: c.before === undefined ? "new" : c.after === undefined ? "deleted" : "changed",
        keys: stackKeyChanges(before, after),
        pins: pinsOfConfig(after.config),
        pinsBefore: pinsOfConfig(before.config),
    };
}

/** The digests a revision pins that the one before did not. */
function newDigests(s: PlannedStack): string[] {
    const before = new Set(s.pinsBefore.map((p) => p.digest));
    return s.pins.flatMap((p) => (p.digest !== undefined && !before.has(p.digest) ? [p.digest] : []));
}

/**
 * A digest one merge pins, new, into a stack and into a stack behind it: the later stack would run it
 * before the one it promotes from ran and checked it. A new stack file is not a promotion (a first push
 * creates every stack with the same pin) and is reviewed as config.
 */
function skippedSources(tree: PromotionTree, stacks: PlannedStack[]): string[] {
    const out: string[] = [];
    for (const target of stacks.filter((s) => s.change === "changed")) {
        for (const source of stacks.filter((s) => promotesFrom(tree, target.stack, s.stack))) {
            const both = newDigests(target).filter((d) => newDigests(source).includes(d));
            for (const digest of both) {
                out.push(
                    `the range pins ${digest} into "${target.stack}" and, new, into "${source.stack}", which "${target.stack}" promotes from: "${target.stack}" would run it before "${source.stack}" ran and checked it; merge the change to "${source.stack}" first`,
                );
            }
        }
    }
    return out;
}

/**
 * The plan of a merge's deploy (pure: the texts are read by `readStackRange`): each stack file the range
 * changed, what changed in it by the key table, its pins, in promotion order over the tree of every
 * stack at the range's end; and the conflicts that leave no sound order (a cycle of promoteFrom, or a
 * digest that would skip its source stack).
 */
export function deployPlan(changes: StackFileChange[], atTo: Record<string, string>): DeployPlan {
    const tree = treeOf(atTo);
    const byStack = new Map(changes.map((c) => [c.stack, planned(c)]));
    const { order, conflicts } = promotionOrder(tree, [...byStack.keys()]);
    const stacks = order.map((s) => byStack.get(s) as PlannedStack);
    return { stacks, conflicts: [...conflicts, ...skippedSources(tree, stacks)] };
}
