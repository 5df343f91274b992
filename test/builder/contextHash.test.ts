import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { BuildError, contextFiles, hashContext, specialFileType } from "../../src/builder";

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

describe("build context: the ignore file BuildKit reads", () => {
    const dirs: string[] = [];
    const ctx = (files: Parameters<typeof makeContext>[0]): string => {
        const d = makeContext(files);
        dirs.push(d);
        return d;
    };
    after(() => {
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });
    const FILES = { Dockerfile: "FROM scratch\nCOPY . /ctx/\n", a: "a", b: "b", "sub/s": "s" };

    // One row per layout: the ignore files present, the Dockerfile built, and what the engine is sent.
    const rows: { name: string; files: Record<string, string>; dockerfile?: string; sent: string[] }[] = [
        {
            name: "only .dockerignore",
            files: { ...FILES, ".dockerignore": "b\n" },
            sent: [".dockerignore", "Dockerfile", "a", "sub/", "sub/s"],
        },
        {
            name: "Dockerfile.dockerignore wins over .dockerignore",
            files: { ...FILES, ".dockerignore": "b\n", "Dockerfile.dockerignore": "a\n" },
            sent: [".dockerignore", "Dockerfile", "Dockerfile.dockerignore", "b", "sub/", "sub/s"],
        },
        {
            name: "an empty Dockerfile.dockerignore still wins (nothing is left out)",
            files: { ...FILES, ".dockerignore": "b\n", "Dockerfile.dockerignore": "" },
            sent: [".dockerignore", "Dockerfile", "Dockerfile.dockerignore", "a", "b", "sub/", "sub/s"],
        },
        {
            name: "another Dockerfile's ignore file is not this one's",
            files: { ...FILES, ".dockerignore": "b\n", "Other.dockerignore": "a\n" },
            sent: [".dockerignore", "Dockerfile", "Other.dockerignore", "a", "sub/", "sub/s"],
        },
        {
            name: "a Dockerfile in a subfolder takes the ignore file beside it",
            files: {
                ...FILES,
                "build/Dockerfile.prod": "FROM scratch\n",
                "build/Dockerfile.prod.dockerignore": "sub\nbuild\n",
            },
            dockerfile: "build/Dockerfile.prod",
            sent: ["Dockerfile", "a", "b"],
        },
        {
            name: "patterns are case-sensitive, as the engine's are",
            files: { ...FILES, ".dockerignore": "secret\n", SECRET: "1", secret: "2" },
            sent: [".dockerignore", "Dockerfile", "SECRET", "a", "b", "sub/", "sub/s"],
        },
        {
            name: "only a # in column 1 starts a comment; a BOM is not part of the first line",
            files: { ...FILES, ".dockerignore": "\uFEFF#a\n  #keep\n", "#keep": "k" },
            sent: [".dockerignore", "Dockerfile", "a", "b", "sub/", "sub/s"],
        },
    ];
    for (const row of rows) {
        it(row.name, () => {
            assert.deepStrictEqual(contextFiles(ctx(row.files), row.dockerfile), row.sent);
        });
    }

    it("a Dockerfile outside the context brings its own ignore file", () => {
        const outside = ctx({ "Dockerfile.ci": "FROM scratch\n", "Dockerfile.ci.dockerignore": "a\nsub\n" });
        const d = ctx({ ...FILES, ".dockerignore": "b\n" });
        assert.deepStrictEqual(contextFiles(d, path.join(outside, "Dockerfile.ci")), [
            ".dockerignore",
            "Dockerfile",
            "b",
        ]);
    });

    it("the hash honours Dockerfile.dockerignore: a file it leaves out never changes the hash", () => {
        const files = { ...FILES, ".dockerignore": "b\n", "Dockerfile.dockerignore": "a\n" };
        const before = hashContext(ctx(files));
        assert.strictEqual(hashContext(ctx({ ...files, a: "changed" })), before);
        assert.notStrictEqual(hashContext(ctx({ ...files, b: "changed" })), before);
    });
});

describe("build context: files that are not regular files, directories or symlinks", () => {
    const dirs: string[] = [];
    const servers: net.Server[] = [];
    after(() => {
        for (const s of servers) s.close();
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });
    /** A context holding a FIFO at app/pipe and a listening socket at run.sock. */
    const withSpecials = async (dockerignore?: string): Promise<string> => {
        const d = makeContext({
            Dockerfile: "FROM scratch\n",
            "app/main": "x",
            ...(dockerignore !== undefined ? { ".dockerignore": dockerignore } : {}),
        });
        dirs.push(d);
        execFileSync("mkfifo", [path.join(d, "app", "pipe")]);
        const server = net.createServer();
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(path.join(d, "run.sock"), resolve));
        return d;
    };

    it("refuses them by name and type before anything reads them (a FIFO used to hang the hash)", async () => {
        const d = await withSpecials();
        const message =
            `build context "${d}" holds 2 file(s) that are not regular files, directories or symlinks: ` +
            `"app/pipe" (FIFO (named pipe)), "run.sock" (socket); an image cannot hold them as they are. ` +
            `Delete them, or exclude them in .dockerignore`;
        assert.throws(
            () => contextFiles(d),
            (e: unknown) => e instanceof BuildError && e.message === message,
        );
        assert.throws(
            () => hashContext(d),
            (e: unknown) => e instanceof BuildError && e.message === message,
        );
    });

    it("names the ignore file in force", async () => {
        const d = await withSpecials("nothing\n");
        fs.writeFileSync(path.join(d, "Dockerfile.dockerignore"), "run.sock\n");
        assert.throws(
            () => contextFiles(d),
            (e: unknown) =>
                e instanceof BuildError &&
                e.message ===
                    `build context "${d}" holds 1 file(s) that are not regular files, directories or symlinks: ` +
                        `"app/pipe" (FIFO (named pipe)); an image cannot hold them as they are. ` +
                        `Delete them, or exclude them in Dockerfile.dockerignore`,
        );
    });

    it("the ones the ignore file leaves out are never sent, so never refused", async () => {
        const d = await withSpecials("app/pipe\n*.sock\n");
        assert.deepStrictEqual(contextFiles(d), [".dockerignore", "Dockerfile", "app/", "app/main"]);
        assert.match(hashContext(d), /^sha256:[0-9a-f]{64}$/);
    });

    const kinds: [string, string | undefined][] = [
        ["FIFO", "FIFO (named pipe)"],
        ["Socket", "socket"],
        ["BlockDevice", "block device"],
        ["CharacterDevice", "character device"],
        ["none", undefined],
    ];
    for (const [kind, type] of kinds) {
        it(`names a ${kind === "none" ? "regular file" : kind}: ${type ?? "not special"}`, () => {
            const is = (k: string) => () => k === kind;
            assert.strictEqual(
                specialFileType({
                    isFIFO: is("FIFO"),
                    isSocket: is("Socket"),
                    isBlockDevice: is("BlockDevice"),
                    isCharacterDevice: is("CharacterDevice"),
                }),
                type,
            );
        });
    }
});

const GOLDEN = "sha256:fbfa2b9990336000535d76916996a7c75566216452e9de2d8302a9b5898b4e17";
