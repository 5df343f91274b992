import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BuildError, contextFiles, hashContext } from "../../src/builder";

/** A fresh context per test, so edits never leak between cases. */
function makeContext(files: Record<string, string | { link: string } | { exec: string }>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-ctx-"));
    for (const [rel, v] of Object.entries(files)) {
        const abs = path.join(dir, rel);
        fs.mkdirSync(path.dirname(abs), { recursive: true });
        if (typeof v === "string") {
            fs.writeFileSync(abs, v);
            fs.chmodSync(abs, 0o644);
        } else if ("link" in v) {
            fs.symlinkSync(v.link, abs);
        } else {
            fs.writeFileSync(abs, v.exec);
            fs.chmodSync(abs, 0o755);
        }
    }
    return dir;
}

const BASE = {
    Dockerfile: "FROM scratch\nCOPY app /app\n",
    ".dockerignore": "# comment\n*.log\nsecret\nDockerfile\n!keep.log\n",
    "app/main": { exec: "#!/bin/sh\necho hi\n" },
    "app/data.txt": "data\n",
    "app/current": { link: "data.txt" },
    "debug.log": "noise\n",
    "keep.log": "kept\n",
    "secret/token": "s3cret\n",
};

describe("build context hash", () => {
    const dirs: string[] = [];
    const ctx = (files: Parameters<typeof makeContext>[0] = BASE): string => {
        const d = makeContext(files);
        dirs.push(d);
        return d;
    };
    after(() => {
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    it("lists exactly the files the engine sees, sorted, honoring .dockerignore and `!`", () => {
        assert.deepStrictEqual(contextFiles(ctx()), [
            ".dockerignore",
            "app/",
            "app/current",
            "app/data.txt",
            "app/main",
            "keep.log",
        ]);
    });

    it("gives the pinned value for a fixed context (cache keys stay stable across releases)", () => {
        assert.strictEqual(
            hashContext(ctx(), "Dockerfile", { B: "2", A: "1" }),
            hashContext(ctx(), "Dockerfile", { A: "1", B: "2" }),
        );
        assert.strictEqual(hashContext(ctx()), GOLDEN);
    });

    // One row per edit: does it change the hash?
    const edits: { name: string; changes: boolean; edit: (dir: string) => void }[] = [
        {
            name: "empty directory added (COPY creates it)",
            changes: true,
            edit: (d) => fs.mkdirSync(path.join(d, "app", "cache")),
        },
        {
            name: "empty directory added inside an ignored directory",
            changes: false,
            edit: (d) => fs.mkdirSync(path.join(d, "secret", "more")),
        },
        {
            name: "ignored file content",
            changes: false,
            edit: (d) => fs.appendFileSync(`${d}/debug.log`, "x"),
        },
        { name: "new ignored file", changes: false, edit: (d) => fs.writeFileSync(`${d}/other.log`, "x") },
        {
            name: "file inside ignored dir",
            changes: false,
            edit: (d) => fs.writeFileSync(`${d}/secret/token`, "rotated"),
        },
        {
            name: "mtime only",
            changes: false,
            edit: (d) => {
                for (const f of ["app/main", "app/data.txt", "keep.log", "Dockerfile"])
                    fs.utimesSync(`${d}/${f}`, new Date(1_000_000_000_000), new Date(1_000_000_000_000));
            },
        },
        {
            name: "non-exec mode bits only",
            changes: false,
            edit: (d) => fs.chmodSync(`${d}/app/data.txt`, 0o600),
        },
        {
            name: "re-included file content",
            changes: true,
            edit: (d) => fs.appendFileSync(`${d}/keep.log`, "x"),
        },
        {
            name: "plain file content",
            changes: true,
            edit: (d) => fs.appendFileSync(`${d}/app/data.txt`, "x"),
        },
        { name: "new plain file", changes: true, edit: (d) => fs.writeFileSync(`${d}/app/new`, "") },
        { name: "exec bit added", changes: true, edit: (d) => fs.chmodSync(`${d}/app/data.txt`, 0o755) },
        { name: "exec bit removed", changes: true, edit: (d) => fs.chmodSync(`${d}/app/main`, 0o644) },
        {
            name: "symlink target",
            changes: true,
            edit: (d) => {
                fs.unlinkSync(`${d}/app/current`);
                fs.symlinkSync("main", `${d}/app/current`);
            },
        },
        {
            name: "symlink replaced by a file with the target's content",
            changes: true,
            edit: (d) => {
                fs.unlinkSync(`${d}/app/current`);
                fs.writeFileSync(`${d}/app/current`, "data.txt");
            },
        },
        {
            name: "Dockerfile content although .dockerignore hides it",
            changes: true,
            edit: (d) => fs.appendFileSync(`${d}/Dockerfile`, "ENV A=1\n"),
        },
        {
            name: ".dockerignore itself",
            changes: true,
            edit: (d) => fs.appendFileSync(`${d}/.dockerignore`, "x\n"),
        },
        {
            name: "renamed file",
            changes: true,
            edit: (d) => fs.renameSync(`${d}/app/data.txt`, `${d}/app/data2.txt`),
        },
    ];
    for (const row of edits) {
        it(`${row.changes ? "changes" : "keeps"} the hash on: ${row.name}`, () => {
            const before = ctx();
            const after = ctx();
            row.edit(after);
            assert.strictEqual(hashContext(before), GOLDEN);
            assert.strictEqual(hashContext(after) !== GOLDEN, row.changes);
        });
    }

    const argRows: { name: string; a: Record<string, string>; b: Record<string, string>; same: boolean }[] = [
        { name: "same args, other order", a: { X: "1", Y: "2" }, b: { Y: "2", X: "1" }, same: true },
        { name: "other value", a: { X: "1" }, b: { X: "2" }, same: false },
        { name: "extra arg", a: { X: "1" }, b: { X: "1", Y: "" }, same: false },
        { name: "no args vs one arg", a: {}, b: { X: "" }, same: false },
        // Length-prefixed fields: "X"="12" must not collide with "X1"="2".
        { name: "no key/value boundary collision", a: { X: "12" }, b: { X1: "2" }, same: false },
    ];
    for (const row of argRows) {
        it(`build args: ${row.name}`, () => {
            const d = ctx();
            assert.strictEqual(
                hashContext(d, "Dockerfile", row.a) === hashContext(d, "Dockerfile", row.b),
                row.same,
            );
        });
    }

    it("a Dockerfile under another name is hashed by its content", () => {
        const d = ctx({ ...BASE, "build/Dockerfile.prod": "FROM scratch\nCOPY app /app\n" });
        const e = ctx({ ...BASE, "build/Dockerfile.prod": "FROM scratch\nCOPY app /srv\n" });
        assert.notStrictEqual(
            hashContext(d, "build/Dockerfile.prod"),
            hashContext(e, "build/Dockerfile.prod"),
        );
    });

    it("refuses a missing context with the exact message", () => {
        const missing = path.join(os.tmpdir(), "image-release-no-such-context");
        assert.throws(
            () => hashContext(missing),
            (e: unknown) =>
                e instanceof BuildError && e.message === `build context "${missing}" is not a directory`,
        );
        const file = path.join(ctx(), "keep.log");
        assert.throws(
            () => contextFiles(file),
            (e: unknown) =>
                e instanceof BuildError && e.message === `build context "${file}" is not a directory`,
        );
    });

    it("refuses a missing Dockerfile with the exact message", () => {
        const d = ctx();
        assert.throws(
            () => hashContext(d, "Dockerfile.nope"),
            (e: unknown) =>
                e instanceof BuildError &&
                e.message === `Dockerfile "Dockerfile.nope" not found in build context "${d}"`,
        );
    });
});

const GOLDEN = "sha256:fbfa2b9990336000535d76916996a7c75566216452e9de2d8302a9b5898b4e17";
