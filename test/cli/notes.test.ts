import * as assert from "assert";
import { randomBytes } from "crypto";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { notes, release, tags, verify } from "../../src/flows";
import { PublishResult } from "../../src/builder";
import { RegistryClient } from "../../src/registry";
import { Channel } from "../../src/release";
import { pushTestImage, TEST_LABELS, TestImage } from "../fixtures/registry/testImage";
import { commitAll, makeRepo } from "../fixtures/cli/repo";

const BIN = path.join(__dirname, "..", "..", "bin", "image-release.js");
const client = new RegistryClient({
    retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
    timeoutMs: 5000,
});
const deps = { client };

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile("node", [BIN, ...args], (err, stdout, stderr) =>
            resolve({ code: err ? (err.code as number) : 0, stdout, stderr }),
        );
    });
}

describe("cli tags", () => {
    const rows: {
        args: { version: string; gitSha: string; channel?: Channel };
        want?: string[];
        err?: string;
    }[] = [
        { args: { version: "1.4.2", gitSha: "0123abcdef" }, want: ["1.4.2", "1.4", "1", "git-0123abc"] },
        {
            args: { version: "1.4.2", gitSha: "0123abcdef", channel: "staging" },
            want: ["1.4.2", "1.4", "1", "git-0123abc", "staging"],
        },
    ];
    for (const r of rows) {
        it(`${JSON.stringify(r.args)}`, async () => {
            assert.deepStrictEqual((await tags({ repoRoot: ".", ...r.args })).tags, r.want);
        });
    }
    it("CLI prints one tag a line, or JSON", async () => {
        const h = await runCli(["tags", "--version", "2.0.1", "--git-sha", "abcdef0123"]);
        assert.deepStrictEqual([h.code, h.stdout], [0, "2.0.1\n2.0\n2\ngit-abcdef0\n"]);
        const j = await runCli(["tags", "--version", "2.0.1", "--git-sha", "abcdef0123", "--json"]);
        assert.deepStrictEqual(
            [j.code, j.stdout, j.stderr],
            [
                0,
                JSON.stringify(
                    {
                        version: "2.0.1",
                        tags: ["2.0.1", "2.0", "2", "git-abcdef0"],
                        immutable: ["2.0.1", "git-abcdef0"],
                        floating: ["2.0", "2"],
                        notes: [],
                    },
                    null,
                    2,
                ) + "\n",
                "",
            ],
        );
    });
});

describe("cli notes and verify @integration", () => {
    let repo: string;
    let img: TestImage;
    let other: TestImage;
    let dir: string;

    before(async () => {
        repo = `127.0.0.1:5000/test/cli-notes-${randomBytes(4).toString("hex")}`;
        img = await pushTestImage(client, repo, "cli-notes");
        other = await pushTestImage(client, repo, "cli-notes-other");
        await client.applyTags(repo, img.indexDigest, ["1.4.2", "1.4", "1", "git-0123abc", "staging"]);
        dir = makeRepo(repo, img.indexDigest);
    });

    it("notes: Markdown and JSON, exact, and files written", async () => {
        const want = {
            version: "1.4.2",
            repository: repo,
            digest: img.indexDigest,
            tags: ["1.4.2", "1.4", "1", "git-0123abc", "staging"],
            platformDigests: img.platformDigests,
            gitSha: TEST_LABELS["org.opencontainers.image.revision"],
            labels: {
                "org.opencontainers.image.revision": TEST_LABELS["org.opencontainers.image.revision"],
                "org.opencontainers.image.version": TEST_LABELS["org.opencontainers.image.version"],
                "test.seed": "cli-notes",
            },
            stacks: ["prod", "staging"],
        };
        const n = await notes({ stacksDir: path.join(dir, "stacks"), repoRoot: dir, version: "1.4.2" }, deps);
        assert.deepStrictEqual(n, want);
        const md = [
            `# ${repo.split("/").pop()} 1.4.2`,
            "",
            `- Image: \`${repo}@${img.indexDigest}\``,
            "- Tags: `1.4.2`, `1.4`, `1`, `git-0123abc`, `staging`",
            "- Git commit: `0123abc`",
            "- Running in: prod, staging",
            "",
            "| Platform | Digest |",
            "| --- | --- |",
            `| linux/amd64 | \`${img.platformDigests["linux/amd64"]}\` |`,
            `| linux/arm64 | \`${img.platformDigests["linux/arm64"]}\` |`,
            "",
            "| Label | Value |",
            "| --- | --- |",
            "| org.opencontainers.image.revision | 0123abc |",
            "| org.opencontainers.image.version | 1.4.2 |",
            "| test.seed | cli-notes |",
            "",
        ].join("\n");
        assert.strictEqual(
            fs.readFileSync(path.join(dir, ".image-release", "notes", "1.4.2.md"), "utf8"),
            md,
        );
        const human = await runCli(["notes", "--repo-root", dir, "--version", "1.4.2"]);
        assert.deepStrictEqual([human.code, human.stdout, human.stderr], [0, md, ""]);
        const json = await runCli(["notes", "--repo-root", dir, "--version", "1.4.2", "--json"]);
        assert.strictEqual(json.stdout, JSON.stringify(want, null, 2) + "\n");
        assert.strictEqual(
            fs.readFileSync(path.join(dir, ".image-release", "notes", "1.4.2.json"), "utf8"),
            JSON.stringify(want, null, 2) + "\n",
        );
    });

    it("notes: unknown version is refused", async () => {
        await assert.rejects(
            notes({ stacksDir: path.join(dir, "stacks"), repoRoot: dir, version: "9.9.9" }, deps),
            {
                message: `tag 9.9.9 not found in repo ${repo}; release it first`,
            },
        );
    });

    it("verify: clean, then every finding listed with exit code 1", async () => {
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        assert.deepStrictEqual(await verify(o, deps), { ok: true, findings: [], signatures: [] });
        const clean = await runCli(["verify", "--repo-root", dir]);
        assert.deepStrictEqual([clean.code, clean.stdout, clean.stderr], [0, "verify: ok\n", ""]);
        const cleanJson = await runCli(["verify", "--repo-root", dir, "--json"]);
        assert.deepStrictEqual(
            [cleanJson.code, cleanJson.stdout],
            [0, JSON.stringify({ ok: true, findings: [], signatures: [] }, null, 2) + "\n"],
        );
        await client.retag(repo, other.indexDigest, "1.4");
        const staging = path.join(dir, "stacks", "Pulumi.staging.yaml");
        const text = fs.readFileSync(staging, "utf8");
        fs.writeFileSync(
            staging,
            text.replace(/ *image-release:digest: .*\n/, "").replace("channel: staging", "channel: latest"),
        );
        const findings = [
            "stack staging uses the latest tag",
            `${staging}: image-release:channel: expected one of dev, staging, prod (got "latest")`,
            `${staging}: image-release:digest: required in stack "staging" (it deploys a pinned digest, never builds) (got "")`,
            `${repo}: tag 1.4 points at ${other.indexDigest}, but 1.4.2 is ${img.indexDigest}`,
        ];
        const res = await runCli(["verify", "--repo-root", dir]);
        const json = await runCli(["verify", "--repo-root", dir, "--json"]);
        assert.deepStrictEqual(
            [json.code, json.stdout, json.stderr],
            [1, JSON.stringify({ ok: false, findings, signatures: [] }, null, 2) + "\n", ""],
        );
        assert.deepStrictEqual(await verify(o, deps), { ok: false, findings, signatures: [] });
        assert.deepStrictEqual(
            [res.code, res.stdout, res.stderr],
            [1, `verify: 4 finding(s)\n${findings.map((f) => `- ${f}\n`).join("")}`, ""],
        );
    });
});

describe("cli release notes and `notes` agree on which stacks run the release @integration", () => {
    it("release --repository elsewhere: both say dev runs it (dev's record counts), byte-identical", async () => {
        const stackRepo = `127.0.0.1:5000/test-cli/notes-stack-${randomBytes(4).toString("hex")}`;
        const released = `127.0.0.1:5000/test-cli/notes-team-${randomBytes(4).toString("hex")}`;
        const img = await pushTestImage(client, released, "notes-agree");
        const tagSet = ["3.1.0", "3.1", "3"];
        await client.applyTags(released, img.indexDigest, [...tagSet, "dev"]);
        const dir = makeRepo(stackRepo, `sha256:${"0".repeat(64)}`);
        fs.mkdirSync(path.join(dir, "examples", "hello"), { recursive: true });
        fs.writeFileSync(path.join(dir, "examples", "hello", "Dockerfile"), "FROM scratch\n");
        commitAll(dir, "the app", 2);
        // The build is not what is under test: the stand-in reports the image pushed above.
        const publish = (): Promise<PublishResult> =>
            Promise.resolve({
                digest: img.indexDigest,
                ref: `${released}@${img.indexDigest}`,
                tags: [...tagSet, "dev"],
                heldBack: [],
                platformDigests: img.platformDigests,
                labels: TEST_LABELS,
                contextHash: "sha256:0",
                bytesUploaded: 0,
                built: true,
                retagged: [],
            });
        const r = await release(
            {
                repoRoot: dir,
                stacksDir: path.join(dir, "stacks"),
                repository: released,
                version: "3.1.0",
            },
            { client, publish },
        );
        const md = [
            `# ${released.split("/").pop()} 3.1.0`,
            "",
            `- Image: \`${released}@${img.indexDigest}\``,
            "- Tags: `3.1.0`, `3.1`, `3`, `dev`",
            "- Git commit: `0123abc`",
            "- Running in: dev",
            "",
            "| Platform | Digest |",
            "| --- | --- |",
            `| linux/amd64 | \`${img.platformDigests["linux/amd64"]}\` |`,
            `| linux/arm64 | \`${img.platformDigests["linux/arm64"]}\` |`,
            "",
            "| Label | Value |",
            "| --- | --- |",
            "| org.opencontainers.image.revision | 0123abc |",
            "| org.opencontainers.image.version | 1.4.2 |",
            "| test.seed | notes-agree |",
            "",
        ].join("\n");
        const file = path.join(dir, ".image-release", "notes", "3.1.0.md");
        assert.deepStrictEqual([r.notes.stacks, fs.readFileSync(file, "utf8")], [["dev"], md]);
        const json = fs.readFileSync(path.join(dir, ".image-release", "notes", "3.1.0.json"), "utf8");
        // `notes` right after, with no --repository: the release's repository, the same text.
        const human = await runCli(["notes", "--repo-root", dir, "--version", "3.1.0"]);
        const asJson = await runCli(["notes", "--repo-root", dir, "--version", "3.1.0", "--json"]);
        assert.deepStrictEqual(
            [human.code, human.stdout, human.stderr, asJson.code, asJson.stdout, asJson.stderr],
            [0, md, "", 0, json, ""],
        );
    });
});
