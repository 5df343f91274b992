import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    contextCommitInfo,
    gitCommitInfo,
    OciLabelInput,
    ociLabels,
    sourceDateEpoch,
} from "../../src/release";

const P = "org.opencontainers.image.";

describe("ociLabels", () => {
    const cases: { name: string; in: OciLabelInput; out: Record<string, string> }[] = [
        {
            name: "all standard labels",
            in: {
                title: "hello",
                description: "demo",
                url: "https://example.com",
                source: "https://github.com/o/r",
                version: "1.4.2",
                revision: "0123abc",
                created: 1700000000,
                licenses: "Apache-2.0",
            },
            out: {
                [`${P}title`]: "hello",
                [`${P}description`]: "demo",
                [`${P}url`]: "https://example.com",
                [`${P}source`]: "https://github.com/o/r",
                [`${P}version`]: "1.4.2",
                [`${P}revision`]: "0123abc",
                [`${P}created`]: "2023-11-14T22:13:20Z",
                [`${P}licenses`]: "Apache-2.0",
            },
        },
        {
            name: "undefined optional ones omitted",
            in: { created: 0 },
            out: { [`${P}created`]: "1970-01-01T00:00:00Z" },
        },
        {
            name: "extra labels merged",
            in: { created: 1700000000, version: "2.0.0-rc.1", extra: { "com.example.team": "platform" } },
            out: {
                [`${P}version`]: "2.0.0-rc.1",
                [`${P}created`]: "2023-11-14T22:13:20Z",
                "com.example.team": "platform",
            },
        },
    ];
    for (const c of cases) {
        it(c.name, () => assert.deepStrictEqual(ociLabels(c.in), c.out));
    }

    it("same input gives the same labels at different times (never now)", () => {
        const a = ociLabels({ created: 1700000000 });
        const b = ociLabels({ created: 1700000000 });
        assert.deepStrictEqual(a, b);
    });

    const errors: { name: string; in: OciLabelInput; message: string }[] = [
        {
            name: "non-hex revision",
            in: { created: 1, revision: "main" },
            message: 'revision "main" is not a 7-40 character lowercase hex git sha',
        },
        {
            name: "negative created",
            in: { created: -1 },
            message: "created -1 is not a non-negative integer of epoch seconds",
        },
        {
            name: "fractional created",
            in: { created: 1.5 },
            message: "created 1.5 is not a non-negative integer of epoch seconds",
        },
        {
            name: "extra overriding a computed label",
            in: { created: 1, extra: { [`${P}created`]: "now" } },
            message: `extra label "${P}created" would override a computed OCI label`,
        },
    ];
    for (const c of errors) {
        it(`refuses: ${c.name}`, () =>
            assert.throws(() => ociLabels(c.in), { name: "ReleaseRuleError", message: c.message }));
    }
});

describe("sourceDateEpoch", () => {
    const cases: { name: string; env: Record<string, string | undefined>; commit: number; out: number }[] = [
        { name: "env wins", env: { SOURCE_DATE_EPOCH: "1700000000" }, commit: 5, out: 1700000000 },
        { name: "commit time when unset", env: {}, commit: 1600000000, out: 1600000000 },
        { name: "empty env counts as unset", env: { SOURCE_DATE_EPOCH: "" }, commit: 42, out: 42 },
        { name: "zero is valid", env: { SOURCE_DATE_EPOCH: "0" }, commit: 42, out: 0 },
    ];
    for (const c of cases) {
        it(c.name, () => assert.strictEqual(sourceDateEpoch(c.env, c.commit), c.out));
    }
    const errors: { env: Record<string, string>; message: string }[] = [
        {
            env: { SOURCE_DATE_EPOCH: "yesterday" },
            message: 'SOURCE_DATE_EPOCH "yesterday" is not a non-negative integer of epoch seconds',
        },
        {
            env: { SOURCE_DATE_EPOCH: "-5" },
            message: 'SOURCE_DATE_EPOCH "-5" is not a non-negative integer of epoch seconds',
        },
        {
            env: { SOURCE_DATE_EPOCH: "1.5" },
            message: 'SOURCE_DATE_EPOCH "1.5" is not a non-negative integer of epoch seconds',
        },
    ];
    for (const c of errors) {
        it(`refuses ${String(c.env.SOURCE_DATE_EPOCH)}`, () =>
            assert.throws(() => sourceDateEpoch(c.env, 1), { name: "ReleaseRuleError", message: c.message }));
    }
});

describe("gitCommitInfo", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "release-git-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("refuses a directory that is not a git repository", () => {
        assert.throws(
            () => gitCommitInfo(dir),
            (e: Error) =>
                e.name === "ReleaseRuleError" &&
                e.message.startsWith(`${dir} is not a git repository with a commit: fatal:`),
        );
    });

    it("reads sha, short sha and commit time", () => {
        const env = {
            ...process.env,
            GIT_COMMITTER_DATE: "1700000000 +0000",
            GIT_AUTHOR_DATE: "1700000000 +0000",
        };
        const git = (...args: string[]) =>
            execFileSync("git", ["-C", dir, ...args], { env, encoding: "utf8" }).trim();
        git("init", "-q");
        git(
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        );
        const sha = git("rev-parse", "HEAD");
        assert.deepStrictEqual(gitCommitInfo(dir), {
            sha,
            shortSha: sha.slice(0, 7),
            commitTime: 1700000000,
        });
    });
});

describe("contextCommitInfo: the newest commit that changed the build context", () => {
    it("ignores commits outside the context, follows commits inside it, and refuses an uncommitted context", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "release-ctx-"));
        let t = 1700000000;
        const git = (...args: string[]) =>
            execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
                env: { ...process.env, GIT_COMMITTER_DATE: `${t} +0000`, GIT_AUTHOR_DATE: `${t} +0000` },
                encoding: "utf8",
            }).trim();
        const commit = (file: string, text: string) => {
            fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
            fs.writeFileSync(path.join(dir, file), text);
            git("add", "-A");
            git("commit", "-q", "-m", file);
            t += 100;
            return git("rev-parse", "HEAD");
        };
        git("init", "-q");
        const app = path.join(dir, "app");
        const first = commit("app/Dockerfile", "FROM scratch\n");
        commit("stacks/Pulumi.staging.yaml", "config: {}\n");
        assert.deepStrictEqual(contextCommitInfo(app), {
            sha: first,
            shortSha: first.slice(0, 7),
            commitTime: 1700000000,
        });
        assert.strictEqual(gitCommitInfo(app).commitTime, 1700000100);
        const second = commit("app/index.html", "<p>2</p>\n");
        assert.deepStrictEqual(contextCommitInfo(app), {
            sha: second,
            shortSha: second.slice(0, 7),
            commitTime: 1700000200,
        });
        fs.mkdirSync(path.join(dir, "new"));
        assert.throws(
            () => contextCommitInfo(path.join(dir, "new")),
            (e: Error) =>
                e.name === "ReleaseRuleError" &&
                e.message ===
                    `${path.join(dir, "new")} has no committed files: commit the build context first`,
        );
    });
});
