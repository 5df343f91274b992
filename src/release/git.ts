import { execFileSync } from "child_process";
import { contextIgnore } from "./dockerignore";
import { gitTag } from "./tags";

/** A git command that failed; `reason` is the first line git printed (or the spawn error). */
export class GitError extends Error {
    constructor(
        public readonly args: string[],
        public readonly reason: string,
    ) {
        super(`git ${args[0]} failed: ${reason}`);
        this.name = "GitError";
    }
}

/**
 * Runs `git -C dir …` and returns its stdout. The error carries git's first line only: the command
 * line, which may hold a whole commit message, is never repeated in it.
 */
export function runGit(dir: string, args: string[]): string {
    try {
        return execFileSync("git", ["-C", dir, ...args], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new GitError(args, ((err.stderr || err.message).trim().split("\n")[0] || "").trim());
    }
}

/** One `git cat-file --batch` or `--batch-check` run over `specs`, a line each; its whole output. */
function catFile(dir: string, mode: "--batch" | "--batch-check", specs: readonly string[]): Buffer {
    if (specs.some((s) => /[\r\n]/.test(s)))
        throw new GitError(["cat-file"], "an object name holds a line break");
    try {
        return execFileSync("git", ["-C", dir, "cat-file", mode], {
            input: specs.map((s) => `${s}\n`).join(""),
            stdio: ["pipe", "pipe", "pipe"],
            maxBuffer: 1024 * 1024 * 1024,
        });
    } catch (e) {
        const err = e as { stderr?: Buffer; message: string };
        throw new GitError(
            ["cat-file"],
            ((err.stderr?.toString("utf8") || err.message).trim().split("\n")[0] || "").trim(),
        );
    }
}

/** `<oid> <type> <size>`, or undefined for `<name> missing` / `<name> ambiguous`. */
function objectHeader(line: string): { oid: string; type: string; size: number } | undefined {
    const m = /^([0-9a-f]+) (\w+) (\d+)$/.exec(line);
    return m === null ? undefined : { oid: m[1], type: m[2], size: Number(m[3]) };
}

/**
 * The text of each `<rev>:<path>` (a path may be `./`-relative to `dir`), read by one `git cat-file
 * --batch` instead of a `git show` each; `undefined` where git has no such object (a revision that
 * deleted the file).
 */
export function gitShowMany(dir: string, specs: readonly string[]): (string | undefined)[] {
    if (specs.length === 0) return [];
    const out = catFile(dir, "--batch", specs);
    const texts: (string | undefined)[] = [];
    let at = 0;
    for (const spec of specs) {
        const eol = out.indexOf(0x0a, at);
        if (eol < 0) throw new GitError(["cat-file"], `no answer for ${spec}`);
        const header = objectHeader(out.subarray(at, eol).toString("utf8"));
        at = eol + 1;
        if (header === undefined) {
            texts.push(undefined);
            continue;
        }
        texts.push(header.type === "blob" ? out.subarray(at, at + header.size).toString("utf8") : undefined);
        at += header.size + 1;
    }
    return texts;
}

/**
 * The object id of each `<rev>:<path>` (a tree for a folder, a blob for a file; a path may be
 * `./`-relative to `dir`), from one `git cat-file --batch-check`; `undefined` where there is none (no
 * such revision, or no such path in it). Equal ids mean equal content, byte for byte.
 */
export function gitObjectIds(dir: string, specs: readonly string[]): (string | undefined)[] {
    if (specs.length === 0) return [];
    const lines = catFile(dir, "--batch-check", specs).toString("utf8").split("\n");
    return specs.map((spec, i) => {
        if (lines[i] === undefined) throw new GitError(["cat-file"], `no answer for ${spec}`);
        return objectHeader(lines[i])?.oid;
    });
}

/**
 * Paths under `dir` whose working-tree content is not HEAD's: modified, staged, deleted, renamed or
 * untracked (ignored files are not listed). Each entry is git's two-letter status and the path
 * relative to the repository root, e.g. ` M examples/hello/rootfs/msg`, `?? examples/hello/new`.
 */
export function uncommittedFiles(dir: string): string[] {
    const fields = runGit(dir, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."]).split(
        "\0",
    );
    const out: string[] = [];
    for (let i = 0; i < fields.length; i++) {
        const f = fields[i];
        if (f.length < 4) continue;
        out.push(`${f.slice(0, 2)} ${f.slice(3)}`);
        // A rename or copy is followed by its source path as a field of its own.
        if (/[RC]/.test(f.slice(0, 2))) i++;
    }
    return out;
}

/** A build context that is not its commit: the message names the changed paths. */
export class DirtyTreeError extends Error {
    constructor(
        message: string,
        public readonly files: string[],
    ) {
        super(message);
        this.name = "DirtyTreeError";
    }
}

/**
 * Files under `dir` that git ignores (.gitignore, .git/info/exclude, core.excludesFile) and so no commit
 * holds: each one, also inside an ignored folder, relative to `dir` and `/`-separated, sorted.
 */
export function ignoredFiles(dir: string): string[] {
    return runGit(dir, ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--", "."])
        .split("\0")
        .filter((f) => f !== "")
        .sort();
}

/** "a, b, c" for the first 20, then how many more. */
function listed(paths: string[]): string {
    const more = paths.length > 20 ? `, and ${paths.length - 20} more` : "";
    return `${paths.slice(0, 20).join(", ")}${more}`;
}

/**
 * Refuses to build `dir` when what the builder would be sent is not commit `sha`: the image would carry
 * the `git-<sha>` tag and the revision label of a commit whose content it is not. Two ways: a change
 * git sees (modified, staged, deleted, untracked), or a file git ignores that the ignore file BuildKit
 * applies to `dockerfile` does not leave out (a `.env`, a key, a local cache), which would ship in the
 * image unseen. Names every path (up to 20).
 */
export function assertCleanBuildContext(
    dir: string,
    sha: string,
    what: string,
    dockerfile = "Dockerfile",
): void {
    const short = sha.slice(0, 7);
    const dirty = uncommittedFiles(dir);
    if (dirty.length > 0) {
        throw new DirtyTreeError(
            `${what}: the build context ${dir} has ${dirty.length} uncommitted change(s) (${listed(dirty)}); ` +
                `the image would not be commit ${short}, which its ${gitTag(sha)} tag and ` +
                `org.opencontainers.image.revision label would name. Commit or stash them, then build again`,
            dirty,
        );
    }
    const ignore = contextIgnore(dir, dockerfile);
    const sent = ignoredFiles(dir).filter((f) => !ignore.ignores(f));
    if (sent.length === 0) return;
    throw new DirtyTreeError(
        `${what}: the build context ${dir} holds ${sent.length} file(s) that git ignores but the builder would send (${listed(sent)}); ` +
            `no commit holds them, so the image would not be commit ${short}, which its ${gitTag(sha)} tag and ` +
            `org.opencontainers.image.revision label would name, and an ignored file is often a secret. ` +
            `Exclude them in ${ignore.shown} or delete them, then build again`,
        sent,
    );
}
