import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    assertCleanBuildContext,
    DirtyTreeError,
    gitShowMany,
    ignoredFiles,
    uncommittedFiles,
} from "../../src/release";
import { commitAll, git } from "../fixtures/cli/repo";

/** A repo with app/{a,b,c} and other/x committed; each row changes it, then lists app/. */
function repo(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-git-"));
    for (const f of ["app/a", "app/b", "app/c", "other/x"]) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), `${f}\n`);
    }
    git(dir, ["init", "-q", "-b", "main"]);
    git(dir, ["config", "user.name", "t"]);
    git(dir, ["config", "user.email", "t@example.test"]);
    commitAll(dir, "init", 1);
    return dir;
}

const cases: { name: string; change: (dir: string) => void; expected: string[] }[] = [
    { name: "a clean tree", change: () => undefined, expected: [] },
    {
        name: "a change outside the context only",
        change: (d) => fs.writeFileSync(path.join(d, "other/x"), "changed\n"),
        expected: [],
    },
    {
        name: "a modified file",
        change: (d) => fs.writeFileSync(path.join(d, "app/a"), "changed\n"),
        expected: [" M app/a"],
    },
    {
        name: "a staged file",
        change: (d) => {
            fs.writeFileSync(path.join(d, "app/a"), "changed\n");
            git(d, ["add", "app/a"]);
        },
        expected: ["M  app/a"],
    },
    { name: "a deleted file", change: (d) => fs.rmSync(path.join(d, "app/b")), expected: [" D app/b"] },
    {
        name: "a staged rename (the source path is not listed twice)",
        change: (d) => git(d, ["mv", "app/c", "app/renamed"]),
        expected: ["R  app/renamed"],
    },
    {
        name: "an untracked file in a new folder, and a name with a space",
        change: (d) => {
            fs.mkdirSync(path.join(d, "app/new"));
            fs.writeFileSync(path.join(d, "app/new/one"), "x");
            fs.writeFileSync(path.join(d, "app/two words"), "x");
        },
        expected: ["?? app/new/one", "?? app/two words"],
    },
];

describe("uncommittedFiles (what a build context holds that HEAD does not)", () => {
    for (const c of cases) {
        it(c.name, () => {
            const dir = repo();
            c.change(dir);
            assert.deepStrictEqual(uncommittedFiles(path.join(dir, "app")), c.expected);
        });
    }
});

describe("assertCleanBuildContext", () => {
    it("passes a clean context and refuses a dirty one, naming every change", () => {
        const dir = repo();
        const app = path.join(dir, "app");
        const sha = git(dir, ["rev-parse", "HEAD"]).trim();
        assertCleanBuildContext(app, sha, "release refused");
        fs.writeFileSync(path.join(dir, "app/a"), "changed\n");
        fs.writeFileSync(path.join(dir, "app/z"), "new\n");
        assert.throws(
            () => assertCleanBuildContext(app, sha, "release refused"),
            (e: unknown) => {
                assert.ok(e instanceof DirtyTreeError);
                assert.strictEqual(
                    e.message,
                    `release refused: the build context ${app} has 2 uncommitted change(s) ( M app/a, ?? app/z); ` +
                        `the image would not be commit ${sha.slice(0, 7)}, which its git-${sha.slice(0, 7)} tag and ` +
                        `org.opencontainers.image.revision label would name. Commit or stash them, then build again`,
                );
                assert.deepStrictEqual(e.files, [" M app/a", "?? app/z"]);
                return true;
            },
        );
    });

    it("lists 20 changes and counts the rest", () => {
        const dir = repo();
        for (let i = 0; i < 23; i++)
            fs.writeFileSync(path.join(dir, "app", `n${String(i).padStart(2, "0")}`), "x");
        const sha = git(dir, ["rev-parse", "HEAD"]).trim();
        assert.throws(
            () => assertCleanBuildContext(path.join(dir, "app"), sha, "x"),
            (e: unknown) =>
                e instanceof DirtyTreeError &&
                e.files.length === 23 &&
                e.message.includes("?? app/n19), and 3 more); ") === false &&
                e.message.includes("?? app/n19, and 3 more); "),
        );
    });
});

/** A repo whose app/ context ignores secrets and caches in git, committed, with nothing ignored on disk yet. */
function ignoringRepo(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-git-ignored-"));
    const files: Record<string, string> = {
        "app/Dockerfile": "FROM scratch\nCOPY . /app/\n",
        "app/.gitignore": ".env\n*.pem\nnode_modules/\n",
        "app/main": "x\n",
        ".gitignore": "*.log\n",
        "other/x": "x\n",
    };
    for (const [f, body] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), body);
    }
    git(dir, ["init", "-q", "-b", "main"]);
    git(dir, ["config", "user.name", "t"]);
    git(dir, ["config", "user.email", "t@example.test"]);
    commitAll(dir, "init", 1);
    return dir;
}

/** Writes `files` under app/ and commits the ones git does not ignore (the ignore files themselves). */
function put(dir: string, files: Record<string, string>): void {
    for (const [f, body] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, "app", f)), { recursive: true });
        fs.writeFileSync(path.join(dir, "app", f), body);
    }
    git(dir, ["add", "-A"]);
    git(dir, ["commit", "-q", "--allow-empty", "-m", "files"]);
}

describe("ignoredFiles (what git ignores in a build context)", () => {
    it("lists each ignored file under the context, relative to it, and nothing outside it", () => {
        const dir = ignoringRepo();
        put(dir, {
            ".env": "TOKEN=1",
            "keys/deploy.pem": "k",
            "node_modules/x/index.js": "m",
            "build.log": "l",
        });
        fs.writeFileSync(path.join(dir, "other", "y.log"), "outside the context");
        fs.writeFileSync(path.join(dir, ".git", "info", "exclude"), "scratch.txt\n");
        fs.writeFileSync(path.join(dir, "app", "scratch.txt"), "excluded by .git/info/exclude");
        assert.deepStrictEqual(ignoredFiles(path.join(dir, "app")), [
            ".env",
            "build.log",
            "keys/deploy.pem",
            "node_modules/x/index.js",
            "scratch.txt",
        ]);
    });
});

describe("assertCleanBuildContext refuses git-ignored files the builder would send", () => {
    const refusal = (app: string, sha: string, files: string, n: number, ignoreFile: string) =>
        `release refused: the build context ${app} holds ${n} file(s) that git ignores but the builder would send (${files}); ` +
        `no commit holds them, so the image would not be commit ${sha.slice(0, 7)}, which its git-${sha.slice(0, 7)} tag and ` +
        `org.opencontainers.image.revision label would name, and an ignored file is often a secret. ` +
        `Exclude them in ${ignoreFile} or delete them, then build again`;

    const rows: {
        name: string;
        files: Record<string, string>;
        dockerfile?: string;
        refused?: { files: string[]; ignoreFile: string; shown?: string };
    }[] = [
        {
            name: "a .env git ignores and no ignore file leaves out",
            files: { ".env": "TOKEN=s3cret" },
            refused: { files: [".env"], ignoreFile: ".dockerignore" },
        },
        {
            name: "a .env and a key that .dockerignore does not leave out",
            files: { ".env": "TOKEN=s3cret", ".dockerignore": "*.md\n", "keys/deploy.pem": "k" },
            refused: { files: [".env", "keys/deploy.pem"], ignoreFile: ".dockerignore" },
        },
        {
            name: ".dockerignore leaves them out",
            files: {
                ".env": "TOKEN=s3cret",
                ".dockerignore": ".env\n*.pem\n**/*.pem\n",
                "keys/deploy.pem": "k",
            },
        },
        {
            name: "Dockerfile.dockerignore leaves it out, and wins over .dockerignore",
            files: { ".env": "TOKEN=s3cret", ".dockerignore": "*.md\n", "Dockerfile.dockerignore": ".env\n" },
        },
        {
            name: "another Dockerfile: its own ignore file is not there, so .dockerignore is in force",
            files: { ".env": "TOKEN=s3cret", ".dockerignore": "*.md\n", "Dockerfile.dockerignore": ".env\n" },
            dockerfile: "Dockerfile.dev",
            refused: { files: [".env"], ignoreFile: ".dockerignore" },
        },
        {
            name: "a Dockerfile in a subfolder: the ignore file beside it is in force, and named",
            files: { ".env": "TOKEN=s3cret", "build/Dockerfile.prod.dockerignore": "*.md\n" },
            dockerfile: "build/Dockerfile.prod",
            refused: { files: [".env"], ignoreFile: "build/Dockerfile.prod.dockerignore" },
        },
        {
            name: "a file re-included from an ignored folder (node_modules git ignores)",
            files: {
                ".dockerignore": "node_modules\n!node_modules/keep/index.js\n",
                "node_modules/drop/index.js": "d",
                "node_modules/keep/index.js": "k",
            },
            refused: { files: ["node_modules/keep/index.js"], ignoreFile: ".dockerignore" },
        },
        {
            name: "22 ignored files: 20 named, 2 counted",
            files: Object.fromEntries(
                Array.from({ length: 22 }, (_, i) => [`logs/n${String(i).padStart(2, "0")}.log`, "l"]),
            ),
            refused: {
                files: Array.from({ length: 22 }, (_, i) => `logs/n${String(i).padStart(2, "0")}.log`),
                ignoreFile: ".dockerignore",
                shown:
                    Array.from({ length: 20 }, (_, i) => `logs/n${String(i).padStart(2, "0")}.log`).join(
                        ", ",
                    ) + ", and 2 more",
            },
        },
    ];
    for (const row of rows) {
        it(`${row.refused ? "refuses" : "passes"}: ${row.name}`, () => {
            const dir = ignoringRepo();
            put(dir, row.files);
            const app = path.join(dir, "app");
            const sha = git(dir, ["rev-parse", "HEAD"]).trim();
            const check = () => assertCleanBuildContext(app, sha, "release refused", row.dockerfile);
            if (!row.refused) {
                check();
                return;
            }
            const r = row.refused;
            assert.throws(check, (e: unknown) => {
                assert.ok(e instanceof DirtyTreeError);
                assert.strictEqual(
                    e.message,
                    refusal(app, sha, r.shown ?? r.files.join(", "), r.files.length, r.ignoreFile),
                );
                assert.deepStrictEqual(e.files, r.files);
                return true;
            });
        });
    }

    it("an uncommitted change is reported first, with the message it always had", () => {
        const dir = ignoringRepo();
        const app = path.join(dir, "app");
        const sha = git(dir, ["rev-parse", "HEAD"]).trim();
        fs.writeFileSync(path.join(app, ".env"), "TOKEN=s3cret");
        fs.writeFileSync(path.join(app, "main"), "changed\n");
        assert.throws(
            () => assertCleanBuildContext(app, sha, "release refused"),
            (e: unknown) => e instanceof DirtyTreeError && e.files.join() === " M app/main",
        );
    });
});

describe("gitShowMany (every revision of a file from one git cat-file)", () => {
    const dir = repo();
    fs.writeFileSync(path.join(dir, "app/a"), "ünïcödé\nsecond line\n");
    fs.writeFileSync(path.join(dir, "app/empty"), "");
    commitAll(dir, "second", 2);
    const rows: { spec: string; from?: string; expected: string | undefined }[] = [
        { spec: "HEAD:app/a", expected: "ünïcödé\nsecond line\n" },
        { spec: "HEAD~1:app/a", expected: "app/a\n" },
        { spec: "HEAD:app/empty", expected: "" },
        { spec: "HEAD~1:app/empty", expected: undefined },
        { spec: "HEAD:app", expected: undefined },
        { spec: "HEAD:./a", from: "app", expected: "ünïcödé\nsecond line\n" },
    ];
    it("answers each name in order: the blob's exact text, or undefined where there is no blob", () => {
        const plain = rows.filter((r) => r.from === undefined);
        assert.deepStrictEqual(
            gitShowMany(
                dir,
                plain.map((r) => r.spec),
            ),
            plain.map((r) => r.expected),
        );
    });
    it("reads ./ names relative to the directory it runs in (a project inside the repository)", () => {
        const row = rows[rows.length - 1];
        assert.deepStrictEqual(gitShowMany(path.join(dir, row.from as string), [row.spec]), [row.expected]);
    });
    it("asks git nothing for no names, and refuses a name with a line break before running git", () => {
        assert.deepStrictEqual(gitShowMany(dir, []), []);
        assert.throws(() => gitShowMany(dir, ["HEAD:app/a\nHEAD:app/b"]), {
            name: "GitError",
            message: "git cat-file failed: an object name holds a line break",
        });
    });
    it("names git's own failure: not a repository", () => {
        const outside = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-git-none-"));
        assert.throws(() => gitShowMany(outside, ["HEAD:x"]), {
            name: "GitError",
            message: /^git cat-file failed: fatal: not a git repository/,
        });
    });
});
