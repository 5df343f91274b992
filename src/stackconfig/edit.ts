import * as YAML from "yaml";
import { readsAsNumber } from "./engineYaml";
import { IMAGE_ROWS, PIN_FIELDS } from "./keys";
import { malformedYamlError, notAConfigMapError, PROJECT, StackConfigError } from "./model";

/**
 * Values to set by key: `digest` is `image-release:digest`, `images.api.digest` is the `digest` of the
 * image `api` in `image-release:images` (the path `pulumi config set --path` takes); `undefined`
 * removes the key.
 */
export type StackEdits = Record<string, string | undefined>;

type Pair = YAML.Pair<unknown, unknown>;
type Splice = { at: number; end: number; text: string };

/** A map the edits land in: the config map, or one image of `image-release:images`. */
interface Target {
    map: YAML.YAMLMap;
    /** How the map names it in messages ("the config map", "image-release:images.api"). */
    name: string;
    /** The key as the map spells it. */
    keyOf(field: string): string;
    /** The key as messages name it. */
    label(field: string): string;
}

const OWN_IMAGE_KEYS = IMAGE_ROWS.filter((r) => r.image === "own").map((r) => r.key);

/**
 * Sets `image-release:<key>` values by splicing new scalar text into the original source at each
 * value's range, so every other byte stays: line endings, indentation, sequence and flow style,
 * comments, key order, other namespaces, `secure:` values, a missing final newline, a BOM. A changed
 * value keeps its quoting style unless the engine would read it back as something other than the
 * string (then it is double-quoted). A missing key is inserted after its sibling pin key, with that
 * line's indentation and the file's line ending; `undefined` removes the key's line. An image of a
 * set is edited the same way inside its own map.
 */
export function editStackText(file: string, text: string, edits: StackEdits): string {
    const config = configMap(file, text);
    const eol = text.includes("\r\n") ? "\r\n" : "\n";
    const top: Target = {
        map: config,
        name: "the config map",
        keyOf: (field) => `${PROJECT}:${field}`,
        label: (field) => `${PROJECT}:${field}`,
    };
    const splices: Splice[] = [];
    for (const [key, value] of Object.entries(edits)) {
        const path = key.split(".");
        if (path.length === 1) {
            if (value !== undefined) refuseBesideSet(file, config, key);
            splices.push(...spliceFor(file, text, top, key, value, eol));
        } else if (path.length === 3 && path[0] === "images") {
            splices.push(...spliceFor(file, text, imageTarget(file, config, path[1]), path[2], value, eol));
        } else {
            throw new StackConfigError(
                `${file}: ${PROJECT}:${key}: expected <key> or images.<name>.<key> to edit`,
            );
        }
    }
    // Right to left, so earlier offsets stay valid; two insertions at one point keep the edits' order.
    let out = text;
    const ordered = splices.map((sp, i) => ({ ...sp, i })).sort((a, b) => b.at - a.at || b.i - a.i);
    for (const sp of ordered) out = out.slice(0, sp.at) + sp.text + out.slice(sp.end);
    return out;
}

function configMap(file: string, text: string): YAML.YAMLMap {
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
        throw malformedYamlError(file, doc.errors[0]);
    }
    const config = doc.get("config", true);
    if (!YAML.isMap(config)) {
        throw notAConfigMapError(file);
    }
    if (config.flow) {
        throw new StackConfigError(
            `${file}: the config map is a flow map ({…}); write it as a block map to edit it`,
        );
    }
    return config;
}

function pairIn(map: YAML.YAMLMap, key: string): Pair | undefined {
    return map.items.find((p: Pair) => YAML.isScalar(p.key) && p.key.value === key);
}

/** A file that pins a set keeps each image's keys in its member: a top-level pin key would be refused. */
function refuseBesideSet(file: string, config: YAML.YAMLMap, key: string): void {
    if (!OWN_IMAGE_KEYS.includes(key) || pairIn(config, `${PROJECT}:images`) === undefined) return;
    throw new StackConfigError(
        `${file}: ${PROJECT}:${key}: this file pins a set (${PROJECT}:images); edit ${PROJECT}:images.<name>.${key} instead`,
    );
}

/** The block map of image `name` in `image-release:images`, as an edit target. */
function imageTarget(file: string, config: YAML.YAMLMap, name: string): Target {
    const label = `${PROJECT}:images.${name}`;
    const value = pairIn(config, `${PROJECT}:images`)?.value;
    const images = YAML.isMap(value) ? value : undefined;
    const member = images === undefined ? undefined : pairIn(images, name)?.value;
    if (member === undefined) {
        const names = (images?.items ?? []).map((p) => String((p.key as YAML.Scalar).value));
        throw new StackConfigError(
            `${file}: ${label}: no such image (images: ${names.join(", ") || "none"})`,
        );
    }
    if (images?.flow || !YAML.isMap(member) || member.flow) {
        const which = images?.flow ? `${PROJECT}:images` : label;
        throw new StackConfigError(`${file}: ${which} is not a block map; write it as one to edit it`);
    }
    return { map: member, name: label, keyOf: (field) => field, label: (field) => `${label}.${field}` };
}

/** The splice that sets (or removes) one key of `target`. */
function spliceFor(
    file: string,
    text: string,
    target: Target,
    field: string,
    value: string | undefined,
    eol: string,
): Splice[] {
    const pair = pairIn(target.map, target.keyOf(field));
    if (value === undefined) return pair === undefined ? [] : [lineRange(text, pair)];
    if (pair === undefined) return [insertion(text, target, field, value, eol)];
    const node = pair.value;
    if (!YAML.isScalar(node) || node.range === undefined || node.range === null) {
        throw new StackConfigError(`${file}: ${target.label(field)}: expected a scalar value to replace`);
    }
    return [{ at: node.range[0], end: node.range[1], text: scalarText(value, node.type) }];
}

/** The whole lines of a pair (from its line's start through the end of its value's line). */
function lineRange(text: string, pair: Pair): Splice {
    const keyStart = (pair.key as YAML.Node).range?.[0] ?? 0;
    const at = text.lastIndexOf("\n", keyStart - 1) + 1;
    return { at, end: afterValue(text, pair), text: "" };
}

/**
 * The offset just past the line ending of the pair's last line. A block collection's range already
 * ends past its last line's ending, and the next line is not the pair's.
 */
function afterValue(text: string, pair: Pair): number {
    const v = pair.value as YAML.Node | null;
    const end = v?.range?.[1] ?? (pair.key as YAML.Node).range?.[1] ?? 0;
    if (end > 0 && text[end - 1] === "\n") return end;
    const nl = text.indexOf("\n", end);
    return nl < 0 ? text.length : nl + 1;
}

/**
 * Where and what to insert for a key the map does not have: after the nearest pin key before it
 * (or the last pin key, or the map's last entry), at that key's column, with the file's line ending.
 */
function insertion(text: string, target: Target, key: string, value: string, eol: string): Splice {
    const pairOf = (k: string) => pairIn(target.map, target.keyOf(k));
    const order: readonly string[] = PIN_FIELDS;
    const before = order
        .slice(0, Math.max(order.indexOf(key), 0))
        .reverse()
        .map(pairOf)
        .find((p) => p !== undefined);
    const anchor =
        before ??
        order
            .map(pairOf)
            .filter((p) => p !== undefined)
            .pop() ??
        target.map.items.at(-1);
    if (anchor === undefined) {
        throw new StackConfigError(`${target.name} is empty: cannot place ${target.label(key)}`);
    }
    const keyStart = (anchor.key as YAML.Node).range?.[0] ?? 0;
    const indent = text.slice(text.lastIndexOf("\n", keyStart - 1) + 1, keyStart);
    const at = afterValue(text, anchor);
    const line = `${indent}${target.keyOf(key)}: ${scalarText(value, YAML.Scalar.PLAIN)}`;
    // The anchor is the last line and has no newline: the file keeps ending without one.
    return text[at - 1] === "\n" ? { at, end: at, text: line + eol } : { at, end: at, text: eol + line };
}

// Line breaks to a YAML 1.1 reader such as yaml.v3 (the engine's): NEL, LS and PS end a line there,
// so a value holding one, written plain or single-quoted, would spill into a config key of its own.
const LINE_BREAK = /[\n\r\u0085\u2028\u2029]/;
const UNPRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, "g");

/**
 * Whether `value` written plain reads back as exactly that string for every YAML reader involved:
 * YAML 1.2 (this package), YAML 1.1 (yes/no/on/off, sexagesimal, dates) and yaml.v3's number rules.
 */
export function isPlainSafe(value: string): boolean {
    if (
        value === "" ||
        value !== value.trim() ||
        LINE_BREAK.test(value) ||
        /\t/.test(value) ||
        UNPRINTABLE.test(value)
    ) {
        return false;
    }
    if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(value) || /: |:$| #/.test(value)) return false;
    if (readsAsNumber(value)) return false;
    for (const version of ["1.1", "1.2"] as const) {
        try {
            if (YAML.parse(value, { version }) !== value) return false;
        } catch {
            return false;
        }
    }
    return true;
}

/** The value in the quoting style it had, unless that style cannot carry it unchanged. */
function scalarText(value: string, style: YAML.Scalar.Type | undefined): string {
    if (style === YAML.Scalar.QUOTE_SINGLE && !LINE_BREAK.test(value) && !UNPRINTABLE.test(value)) {
        return `'${value.replace(/'/g, "''")}'`;
    }
    if (style === YAML.Scalar.QUOTE_DOUBLE || !isPlainSafe(value)) return doubleQuoted(value);
    return value;
}

/**
 * A double-quoted YAML scalar that every reader takes as `value`: JSON escapes the C0 controls, and
 * the rest that YAML does not print raw (DEL, C1, the BOM) or that a YAML 1.1 reader takes as a line
 * break (U+0085, U+2028, U+2029) are written as \uXXXX escapes.
 */
function doubleQuoted(value: string): string {
    return JSON.stringify(value).replace(
        UNPRINTABLE_ALL,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
}
