import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { StackConfigError } from "./model";

/** A stack file as read for editing: the hash lets the writer detect a concurrent edit. */
export interface StackFileSnapshot {
    file: string;
    text: string;
    sha256: string;
}

export function sha256Text(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

export function readStackFile(file: string): StackFileSnapshot {
    const text = fs.readFileSync(file, "utf8");
    return { file, text, sha256: sha256Text(text) };
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
