import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { assertCleanBuildContext, DirtyTreeError, uncommittedFiles } from "../../src/release";
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
