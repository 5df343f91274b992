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

/**
 * Sets `image-release:<key>` values through the YAML Document API so comments, key order and
 * indentation survive; new keys are appended to the config map, `undefined` deletes a key.
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
    for (const [key, value] of Object.entries(edits)) {
        const full = `${PROJECT}:${key}`;
        if (value === undefined) {
            config.delete(full);
        } else {
            const existing = config.get(full, true);
            if (YAML.isScalar(existing)) {
                existing.value = value;
            } else {
                config.set(full, value);
            }
        }
    }
    const indent = detectIndent(text);
    return doc.toString({ indent, indentSeq: true, lineWidth: 0 });
}

function detectIndent(text: string): number {
    const m = /^config:\s*\n( +)\S/m.exec(text);
    return m ? m[1].length : 2;
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
