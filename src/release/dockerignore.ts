import * as fs from "fs";
import * as path from "path";
import dockerignore from "@balena/dockerignore";

/**
 * Which paths of a build context the builder leaves out, read the way BuildKit reads them, so that the
 * context hash and the clean-context check see exactly the files the engine is sent.
 */
export interface ContextIgnore {
    /** The ignore file in force (absolute), or undefined when there is none. */
    readonly file: string | undefined;
    /** How messages name it: relative to the context when inside it, else absolute. */
    readonly shown: string;
    /** Whether `rel` (relative to the context, `/`-separated) stays out of what the builder is sent. */
    ignores(rel: string): boolean;
}

function isFile(p: string): boolean {
    try {
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

/**
 * The ignore file BuildKit applies to a build of `dockerfile` (relative to `context`, or absolute):
 * `<Dockerfile>.dockerignore` beside the Dockerfile when it exists, even empty, else the context's
 * `.dockerignore` (https://docs.docker.com/build/concepts/context/#filename-and-location).
 */
export function dockerignoreFile(context: string, dockerfile = "Dockerfile"): string | undefined {
    const specific = `${path.resolve(context, dockerfile)}.dockerignore`;
    if (isFile(specific)) return specific;
    const root = path.join(context, ".dockerignore");
    return isFile(root) ? root : undefined;
}

/**
 * The ignore rules for a build of `dockerfile` in `context`. Lines are read as BuildKit's
 * `ignorefile.ReadAll` reads them: a UTF-8 BOM is dropped, a line is a comment only when `#` is its
 * first character, and patterns match case-sensitively, as the engine's do on Linux.
 */
export function contextIgnore(context: string, dockerfile = "Dockerfile"): ContextIgnore {
    const file = dockerignoreFile(context, dockerfile);
    const ig = dockerignore({ ignorecase: false });
    if (file !== undefined) ig.add(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""));
    const rel = file === undefined ? "" : path.relative(path.resolve(context), file);
    const shown =
        file === undefined ? ".dockerignore" : rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
    return { file, shown, ignores: (p: string) => ig.ignores(p) };
}
