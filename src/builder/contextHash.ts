import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import dockerignore, { Ignore } from "@balena/dockerignore";
import { BuildError } from "./errors";

function loadDockerignore(context: string): Ignore {
    const file = path.join(context, ".dockerignore");
    const patterns = fs.existsSync(file)
        ? fs
              .readFileSync(file, "utf8")
              .split(/\r?\n/)
              .map((l) => l.trim())
              .filter((l) => l !== "" && !l.startsWith("#"))
        : [];
    return dockerignore().add(patterns);
}

/**
 * Every path the engine would see, relative and `/`-separated, directories with a trailing `/` (an empty
 * directory is part of what COPY creates), sorted so the hash never depends on readdir order.
 */
export function contextFiles(context: string): string[] {
    if (!fs.existsSync(context) || !fs.statSync(context).isDirectory()) {
        throw new BuildError(`build context "${context}" is not a directory`);
    }
    const ig = loadDockerignore(context);
    const out: string[] = [];
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
            if (!ig.ignores(r)) out.push(r);
        }
    };
    walk("");
    return out.sort();
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
    for (const rel of contextFiles(context)) {
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
            field(createHash("sha256").update(fs.readFileSync(abs)).digest("hex"));
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
