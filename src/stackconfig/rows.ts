import { StackImageConfig } from "./model";
import { Reader } from "./readers";
import { Scope } from "./scope";

/** One key of the stack file: how it is read, where it lives, and what a pin edit does with it. */
export interface KeyRow {
    /** The key under `image-release:`. */
    readonly key: string;
    /** One line for docs and tooling: what the key holds. */
    readonly help: string;
    /** Reads a present value (problems go to the scope). */
    readonly read: Reader;
    /** The value when the key is absent. */
    readonly default?: (stack: string) => unknown;
    /** An absent key is a problem ("required"). */
    readonly required?: true;
    /** The StackImageConfig field it fills, when its name differs from the key. */
    readonly field?: keyof StackImageConfig;
    /**
     * Part of an image rather than of the stack: `own` keys live in each member of
     * `image-release:images` (and may not be set beside it); an `inherited` key may be set per image, and
     * otherwise each image takes the stack's value.
     */
    readonly image?: "own" | "inherited";
    /** Its place in a pin: how edits order the pin's keys and how history lists them. */
    readonly order?: number;
    /**
     * A pin field, which promote and rollback write: what the edit does when the new pin has no value
     * for it (`keep` the line as it is, or `remove` it); `set` fields always have one.
     */
    readonly pin?: "set" | "keep" | "remove";
    /** A deployed pin needs it (the tags and labels are made from it). */
    readonly deploy?: "required";
    /** Rules between this key and others, checked right after it is read. */
    readonly relate?: (scope: Scope) => void;
}

/**
 * Reads `rows` in order in one scope. A key the engine misread (the file's text explains it) is
 * reported where the key is read; an absent key takes its default, or the stack's value for an image
 * key it inherits.
 */
export function readRows(scope: Scope, rows: readonly KeyRow[]): void {
    for (const row of rows) {
        scope.report.note(scope.label(row.key));
        const raw = scope.get(row.key);
        let value: unknown;
        if (raw !== undefined) {
            value = row.read(raw, scope, row.key);
        } else if (row.required) {
            scope.bad(row.key, "required", "");
        } else if (scope.parent !== undefined && row.image === "inherited") {
            value = scope.parent.values[row.key];
        } else {
            value = row.default?.(scope.stack);
        }
        if (value !== undefined) scope.values[row.key] = value;
        row.relate?.(scope);
    }
}
