import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { malformedYamlError, notAConfigMapError, PROJECT, StackConfigError } from "./model";

/** A stack file as read for editing: the hash lets the writer detect a concurrent edit. */
export interface StackFileSnapshot {
    file: string;
    text: string;
    sha256: string;
}

export type StackEdits = Record<string, string | undefined>;

export function sha256Text(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

export function readStackFile(file: string): StackFileSnapshot {
    const text = fs.readFileSync(file, "utf8");
    return { file, text, sha256: sha256Text(text) };
}

/** The pin keys, in the order a stack file keeps them; a missing one goes in after its predecessor. */
const PIN_ORDER = ["digest", "version", "gitSha", "promotedFrom", "sourceRepository"];

/**
 * Sets `image-release:<key>` values by splicing new scalar text into the original source at each
 * value's range, so every other byte stays: line endings, indentation, sequence and flow style,
 * comments, key order, other namespaces, `secure:` values, a missing final newline, a BOM. A changed
 * value keeps its quoting style unless the engine would read it back as something other than the
 * string (then it is double-quoted). A missing key is inserted after its sibling pin key, with that
 * line's indentation and the file's line ending; `undefined` removes the key's line.
 */
export function editStackText(file: string, text: string, edits: StackEdits): string {
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
    const eol = text.includes("\r\n") ? "\r\n" : "\n";
    const splices: { at: number; end: number; text: string }[] = [];
    const pairOf = (key: string) =>
        config.items.find((p) => YAML.isScalar(p.key) && p.key.value === `${PROJECT}:${key}`);
    for (const [key, value] of Object.entries(edits)) {
        const pair = pairOf(key);
        if (value === undefined) {
            if (pair !== undefined) splices.push(lineRange(text, pair));
            continue;
        }
        if (pair !== undefined) {
            const node = pair.value;
            if (!YAML.isScalar(node) || node.range === undefined || node.range === null) {
                throw new StackConfigError(`${file}: ${PROJECT}:${key}: expected a scalar value to replace`);
            }
            splices.push({ at: node.range[0], end: node.range[1], text: scalarText(value, node.type) });
            continue;
        }
        splices.push(insertion(text, config, key, value, eol, pairOf));
    }
    // Right to left, so earlier offsets stay valid; two insertions at one point keep the edits' order.
    let out = text;
    const ordered = splices.map((sp, i) => ({ ...sp, i })).sort((a, b) => b.at - a.at || b.i - a.i);
    for (const sp of ordered) out = out.slice(0, sp.at) + sp.text + out.slice(sp.end);
    return out;
}

type Pair = YAML.Pair<unknown, unknown>;

/** The whole lines of a pair (from its line's start through the end of its value's line). */
function lineRange(text: string, pair: Pair): { at: number; end: number; text: string } {
    const keyStart = (pair.key as YAML.Node).range?.[0] ?? 0;
    const at = text.lastIndexOf("\n", keyStart - 1) + 1;
    const end = lineEnd(text, valueEnd(pair));
    return { at, end, text: "" };
}

function valueEnd(pair: Pair): number {
    const v = pair.value as YAML.Node | null;
    return v?.range?.[1] ?? (pair.key as YAML.Node).range?.[1] ?? 0;
}

/** The offset just past the line ending of the line holding `offset` (or the text's end). */
function lineEnd(text: string, offset: number): number {
    const nl = text.indexOf("\n", offset);
    return nl < 0 ? text.length : nl + 1;
}

/**
 * Where and what to insert for a key the file does not have: after the nearest pin key before it
 * (or the last pin key, or the map's last entry), at that key's column, with the file's line ending.
 */
function insertion(
    text: string,
    config: YAML.YAMLMap,
    key: string,
    value: string,
    eol: string,
    pairOf: (key: string) => Pair | undefined,
): { at: number; end: number; text: string } {
    const before = PIN_ORDER.slice(0, Math.max(PIN_ORDER.indexOf(key), 0))
        .reverse()
        .map(pairOf)
        .find((p) => p !== undefined);
    const anchor =
        before ??
        PIN_ORDER.map(pairOf)
            .filter((p) => p !== undefined)
            .pop() ??
        config.items.at(-1);
    if (anchor === undefined) {
        throw new StackConfigError(`the config map is empty: cannot place ${PROJECT}:${key}`);
    }
    const keyStart = (anchor.key as YAML.Node).range?.[0] ?? 0;
    const indent = text.slice(text.lastIndexOf("\n", keyStart - 1) + 1, keyStart);
    const at = lineEnd(text, valueEnd(anchor));
    const line = `${indent}${PROJECT}:${key}: ${scalarText(value, YAML.Scalar.PLAIN)}`;
    // The anchor is the last line and has no newline: the file keeps ending without one.
    return text[at - 1] === "\n" ? { at, end: at, text: line + eol } : { at, end: at, text: eol + line };
}

// Line breaks to a YAML 1.1 reader such as yaml.v3 (the engine's): NEL, LS and PS end a line there,
// so a value holding one, written plain or single-quoted, would spill into a config key of its own.
const LINE_BREAK = /[\n\r\u0085\u2028\u2029]/;
const UNPRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, "g");

// yaml.v3 (the engine's reader) takes these plain scalars as numbers: ints in any base, and floats
// written the way strconv.ParseFloat accepts them ("1234e56" is a float there, not in YAML 1.2).
const V3_INT = /^[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$/;
const V3_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

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
    if (V3_INT.test(value) || V3_FLOAT.test(value)) return false;
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

export interface WriteOptions {
    /** Test seam: runs after the hash check's read and before the rename, to simulate a racing writer. */
    beforeRename?: () => void;
}

function lockFile(file: string): string {
    return `${file}.lock`;
}

/**
 * Writes atomically (temp file + rename in the same directory) and refuses if the file no longer
 * has the hash it had when it was read: two promotions racing must not silently overwrite each other.
 * An O_EXCL `<file>.lock` is held from the final hash check through the rename, so two writers that
 * both pass the check cannot both rename; a lock that is not ours is never removed.
 */
export function writeStackFile(snapshot: StackFileSnapshot, newText: string, opts: WriteOptions = {}): void {
    const dir = path.dirname(snapshot.file);
    const tmp = path.join(dir, `.${path.basename(snapshot.file)}.${randomBytes(6).toString("hex")}.tmp`);
    const lock = lockFile(snapshot.file);
    fs.writeFileSync(tmp, newText, { mode: fileMode(snapshot.file) });
    let fd: number | undefined;
    try {
        try {
            fd = fs.openSync(lock, "wx");
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
            throw new StackConfigError(
                `${lock} exists: another image-release is writing ${snapshot.file}; refusing to write (delete the lock file if no other run is in progress)`,
            );
        }
        fs.writeSync(fd, `${process.pid}\n`);
        opts.beforeRename?.();
        const current = fs.existsSync(snapshot.file)
            ? sha256Text(fs.readFileSync(snapshot.file, "utf8"))
            : "";
        if (current !== snapshot.sha256) {
            throw new StackConfigError(
                `${snapshot.file} changed since it was read (sha256 ${snapshot.sha256.slice(0, 12)} -> ${current.slice(0, 12)}); refusing to overwrite another writer's change`,
            );
        }
        fs.renameSync(tmp, snapshot.file);
    } finally {
        if (fd !== undefined) {
            fs.closeSync(fd);
            fs.unlinkSync(lock);
        }
        if (fs.existsSync(tmp)) fs.unlinkSync(tmp);
    }
}

function fileMode(file: string): number {
    try {
        return fs.statSync(file).mode & 0o777;
    } catch {
        return 0o644;
    }
}

/**
 * A minimal unified diff (whole file as one hunk) for `--dry-run`; stack files are short. The output
 * applies with `git apply`/`patch`, so a reviewer can use the dry run as the change itself.
 */
export function unifiedDiff(file: string, before: string, after: string): string {
    if (before === after) return "";
    const a = splitLines(before);
    const b = splitLines(after);
    const n = a.length;
    const m = b.length;
    const out = [`--- a/${file}`, `+++ b/${file}`, `@@ -${range(n)} +${range(m)} @@`];
    const noEol = "\\ No newline at end of file";
    const aEnd = !before.endsWith("\n");
    const bEnd = !after.endsWith("\n");
    // LCS keeps unchanged lines as context so only the edited values show as -/+.
    const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
    for (let i = n - 1; i >= 0; i--)
        for (let j = m - 1; j >= 0; j--)
            lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
        // A last line that differs only in its final newline is a change, not context.
        const same = i < n && j < m && a[i] === b[j] && (i === n - 1 && aEnd) === (j === m - 1 && bEnd);
        if (same) {
            out.push(` ${a[i]}`);
            if (i === n - 1 && aEnd) out.push(noEol);
            i++;
            j++;
        } else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) {
            out.push(`-${a[i]}`);
            if (i === n - 1 && aEnd) out.push(noEol);
            i++;
        } else {
            out.push(`+${b[j]}`);
            if (j === m - 1 && bEnd) out.push(noEol);
            j++;
        }
    }
    return out.join("\n") + "\n";
}

/** Lines without their terminators: "a\nb\n" is two lines, as diff(1) counts them. */
function splitLines(text: string): string[] {
    if (text === "") return [];
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    return lines;
}

function range(count: number): string {
    return count === 0 ? "0,0" : `1,${count}`;
}
