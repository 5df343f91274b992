import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { contextIgnore } from "../release";
import { BuildError } from "./errors";

/**
 * What a directory entry is when it is none of the three things a build context can carry (a regular
 * file, a directory, a symlink); undefined for those three.
 */
export function specialFileType(e: {
    isFIFO(): boolean;
    isSocket(): boolean;
    isBlockDevice(): boolean;
    isCharacterDevice(): boolean;
}): string | undefined {
    if (e.isFIFO()) return "FIFO (named pipe)";
    if (e.isSocket()) return "socket";
    if (e.isBlockDevice()) return "block device";
    if (e.isCharacterDevice()) return "character device";
    return undefined;
}

/**
 * Every path the engine would see, relative and `/`-separated, directories with a trailing `/` (an empty
 * directory is part of what COPY creates), sorted so the hash never depends on readdir order. The
 * ignore rules are BuildKit's for `dockerfile`: its own `<Dockerfile>.dockerignore` wins over the
 * context's `.dockerignore`. A FIFO, socket or device that would be sent is refused by name before
 * anything reads it: reading a FIFO blocks forever, and BuildKit drops a FIFO and turns a socket into
 * an empty file, so no image could be what the context holds.
 */
export function contextFiles(context: string, dockerfile = "Dockerfile"): string[] {
    if (!fs.existsSync(context) || !fs.statSync(context).isDirectory()) {
        throw new BuildError(`build context "${context}" is not a directory`);
    }
    const ig = contextIgnore(context, dockerfile);
    const out: string[] = [];
    const special: string[] = [];
    const walk = (rel: string) => {
        const entries = fs.readdirSync(path.join(context, rel), { withFileTypes: true });
        for (const e of entries) {
            const r = rel === "" ? e.name : `${rel}/${e.name}`;
            // A directory may be ignored while a `!` rule re-includes something inside it, so always descend.
            if (e.isDirectory()) {
                if (!ig.ignores(r)) out.push(`${r}/`);
                walk(r);
                continue;
            }
            if (ig.ignores(r)) continue;
            const type = specialFileType(e);
            if (type !== undefined) special.push(`"${r}" (${type})`);
            else out.push(r);
        }
    };
    walk("");
    if (special.length > 0) {
        special.sort();
        const more = special.length > 20 ? `, and ${special.length - 20} more` : "";
        throw new BuildError(
            `build context "${context}" holds ${special.length} file(s) that are not regular files, directories or symlinks: ${special.slice(0, 20).join(", ")}${more}; an image cannot hold them as they are. Delete them, or exclude them in ${ig.shown}`,
        );
    }
    return out.sort();
}

const READ_CHUNK = 1024 * 1024;

/**
 * A file's sha256, read in 1 MiB chunks: memory stays one chunk for a file of any size (a 2.5 GiB
 * model file, past Node's Buffer limit for a whole read). Synchronous, as the hash is computed while
 * a Pulumi program is constructed. A file that changes size while it is read is refused by name.
 */
function fileSha256(file: string, size: number): string {
    const h = createHash("sha256");
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(1, size)));
    const fd = fs.openSync(file, "r");
    try {
        let read = 0;
        for (;;) {
            const n = fs.readSync(fd, chunk, 0, chunk.length, null);
            if (n === 0) break;
            h.update(chunk.subarray(0, n));
            read += n;
        }
        if (read !== size) {
            throw new BuildError(
                `"${file}" changed while it was hashed (${size} bytes, then ${read}); run again`,
            );
        }
    } finally {
        fs.closeSync(fd);
    }
    return h.digest("hex");
}

/**
 * sha256 over what decides the image: the files the engine sees (path, exec bit, symlink target,
 * content), the Dockerfile (even when .dockerignore hides it; the engine still reads it), and the
 * build args. Timestamps are left out on purpose: a fresh checkout must hash the same.
 */
export function hashContext(
    context: string,
    dockerfile = "Dockerfile",
    buildArgs: Record<string, string> = {},
): string {
    const h = createHash("sha256");
    const field = (s: string | Buffer) => {
        const b = typeof s === "string" ? Buffer.from(s, "utf8") : s;
        h.update(`${b.length}:`);
        h.update(b);
    };
    for (const rel of contextFiles(context, dockerfile)) {
        const abs = path.join(context, rel);
        field(rel);
        if (rel.endsWith("/")) {
            field("dir");
            continue;
        }
        const st = fs.lstatSync(abs);
        if (st.isSymbolicLink()) {
            field("symlink");
            field(fs.readlinkSync(abs));
        } else {
            field(st.mode & 0o111 ? "exec" : "file");
            field(fileSha256(abs, st.size));
        }
    }
    const dockerfilePath = path.resolve(context, dockerfile);
    if (!fs.existsSync(dockerfilePath)) {
        throw new BuildError(`Dockerfile "${dockerfile}" not found in build context "${context}"`);
    }
    field("dockerfile");
    field(fs.readFileSync(dockerfilePath));
    for (const k of Object.keys(buildArgs).sort()) {
        field(`arg:${k}`);
        field(buildArgs[k]);
    }
    return "sha256:" + h.digest("hex");
}
