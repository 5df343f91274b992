import { rowOf } from "./keys";
import { PROJECT } from "./model";

/** The keys one revision of a stack file changed, each named as the stack file spells it. */
export interface KeyChanges {
    /** Pin fields (the digest and what promote and rollback write beside it), of the stack or a member of its set. */
    pin: string[];
    /** Every other key: config the merge changes beside (or instead of) a pin. */
    other: string[];
}

const IMAGES = `${PROJECT}:images`;

/** One text per value, whatever order its maps were written in: a reordered map is no change. */
function canonical(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    if (typeof v === "object" && v !== null) {
        const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
    }
    return JSON.stringify(v) ?? "undefined";
}

function isMap(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The keys of two maps whose values differ (added and removed ones too), sorted. */
function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])]
        .filter((k) => canonical(a[k]) !== canonical(b[k]))
        .sort();
}

/** Whether `image-release:<key>` is a pin field (the table's `pin` column). */
function isPinKey(key: string): boolean {
    return rowOf(key)?.pin !== undefined;
}

/**
 * A set's members: a member added or removed is config (the set's shape), a changed pin field of a member
 * that stays is a pin.
 */
function memberChanges(before: unknown, after: unknown, out: KeyChanges): void {
    if (!isMap(before) || !isMap(after)) {
        out.other.push(IMAGES);
        return;
    }
    for (const name of changedKeys(before, after)) {
        const a = before[name];
        const b = after[name];
        if (!isMap(a) || !isMap(b)) {
            out.other.push(`${IMAGES}.${name}`);
            continue;
        }
        for (const key of changedKeys(a, b))
            (isPinKey(key) ? out.pin : out.other).push(`${IMAGES}.${name}.${key}`);
    }
}

/**
 * What changed between two revisions of a stack file's config (and the keys Pulumi keeps beside it), by
 * the key table: a pin field of the stack or of a member of its set is a pin; anything else is config.
 */
export function stackKeyChanges(
    before: { config: Record<string, unknown>; top: Record<string, unknown> },
    after: { config: Record<string, unknown>; top: Record<string, unknown> },
): KeyChanges {
    const out: KeyChanges = { pin: [], other: changedKeys(before.top, after.top) };
    for (const key of changedKeys(before.config, after.config)) {
        if (key === IMAGES) memberChanges(before.config[key], after.config[key], out);
        else if (key.startsWith(`${PROJECT}:`) && isPinKey(key.slice(PROJECT.length + 1))) out.pin.push(key);
        else out.other.push(key);
    }
    return out;
}
