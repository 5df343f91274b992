import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    PinNotesQuery,
    promote,
    pullRequestNotes,
    PullRequestInput,
    pullRequestText,
    ReleaseNotes,
} from "../../src/flows";
import { ImageDescription, RegistryClient } from "../../src/registry";
import { code, md } from "../../src/release";
import { LOCAL, pushTestImage, uniqueRepo } from "../fixtures/registry/testImage";
import { makeRepo, writeDevOutputs } from "../fixtures/cli/repo";

const REPO = "127.0.0.1:5000/image-release/hello";
const D = "sha256:" + "1".repeat(64);
const OLD = "sha256:" + "0".repeat(64);
const AMD = "sha256:" + "a".repeat(64);

const input: PullRequestInput = {
    title: 'Promote hello 1.4.1 from dev to "staging"',
    kind: "promote",
    branch: "promote/staging-1.4.1-111111111111",
    from: "dev",
    to: "staging",
    repository: REPO,
    version: "1.4.1",
    digest: D,
    previousDigest: OLD,
    verified: {
        platforms: [{ platform: "linux/amd64", os: "linux", architecture: "amd64", digest: AMD, size: 1 }],
    } as ImageDescription,
    required: ["linux/amd64"],
    evidence: [md`${code("dev")} pinned it in a committed version of ${"stacks/Pulumi.dev.yaml"}`],
    diff: "--- a/stacks/Pulumi.staging.yaml\n+++ b/stacks/Pulumi.staging.yaml\n-x\n+y\n",
};

const notes: ReleaseNotes = {
    version: "1.4.1",
    repository: REPO,
    digest: D,
    tags: ["1.4.1", "git-bbbbbbb"],
    platformDigests: { "linux/amd64": AMD },
    gitSha: "bbbbbbb",
    labels: { "org.opencontainers.image.version": "1.4.1" },
    stacks: ["dev"],
};

const NOTES_SECTION = [
    `- Image: \`${REPO}@${D}\``,
    "- Tags: `1.4.1`, `git-bbbbbbb`",
    "- Git commit: `bbbbbbb`",
    "- Running in: dev",
    "",
    "| Platform | Digest |",
    "| --- | --- |",
    `| linux/amd64 | \`${AMD}\` |`,
    "",
    "| Label | Value |",
    "| --- | --- |",
    "| org.opencontainers.image.version | 1.4.1 |",
    "",
].join("\n");

function body(releaseNotes: string): string {
    return [
        "Promotes `staging` to 1.4.1: `dev` → `staging`. No rebuild: the pin is the digest below.",
        "",
        `- Image: \`${REPO}@${D}\``,
        "- Version: 1.4.1",
        `- Replaces: \`${OLD}\``,
        "",
        "## Verified in the registry",
        "",
        "The index exists and covers every platform `staging` requires:",
        "",
        "| Platform | Manifest digest |",
        "| --- | --- |",
        `| linux/amd64 | \`${AMD}\` |`,
        "",
        "## Why this digest may go here",
        "",
        "- `dev` pinned it in a committed version of stacks/Pulumi.dev.yaml",
        "",
        "## Release notes",
        "",
        releaseNotes,
        "## The pin diff",
        "",
        "```diff",
        "--- a/stacks/Pulumi.staging.yaml\n+++ b/stacks/Pulumi.staging.yaml\n-x\n+y",
        "```",
        "",
        "After merge: `pulumi preview --stack staging` (checks the pin), then `pulumi up --stack staging`.",
        "",
    ].join("\n");
}

describe("flows/pullRequest: the PR text renders the notes it is given, and runs nothing", () => {
    const rows: { name: string; notes: ReleaseNotes | string; section: string }[] = [
        { name: "release notes, without their title line", notes, section: NOTES_SECTION },
        {
            name: "a reason there are none, in parentheses",
            notes: "release notes unavailable: tag 1.4.1 not found in repo x; release it first",
            section: "(release notes unavailable: tag 1.4.1 not found in repo x; release it first)\n",
        },
    ];
    for (const r of rows) {
        it(r.name, () => {
            assert.deepStrictEqual(pullRequestText(input, r.notes), {
                title: input.title,
                body: body(r.section),
                file: ".image-release/pr/promote/staging-1.4.1-111111111111.md",
                open:
                    "git push -u origin -- promote/staging-1.4.1-111111111111 && gh pr create --head promote/staging-1.4.1-111111111111 " +
                    "--title 'Promote hello 1.4.1 from dev to \"staging\"' --body-file .image-release/pr/promote/staging-1.4.1-111111111111.md",
            });
        });
    }

    it("a branch whose PR file would leave .image-release/ is refused, naming it", () => {
        assert.throws(() => pullRequestText({ ...input, branch: "promote/../../../x" }, notes), {
            name: "Refusal",
            message:
                'refusing to write ".image-release/pr/promote/../../../x.md": it is outside .image-release/, the one folder image-release writes in',
        });
    });

    it("a rollback without a version or a previous pin", () => {
        const text = pullRequestText(
            { ...input, kind: "rollback", from: undefined, version: undefined, previousDigest: undefined },
            "no version recorded for this pin, so no release notes",
        );
        assert.deepStrictEqual(text.body.split("\n").slice(0, 5), [
            "Rolls back `staging` to an unversioned image: `staging`. No rebuild: the pin is the digest below.",
            "",
            `- Image: \`${REPO}@${D}\``,
            "- Version: -",
            "- Replaces: (no pin)",
        ]);
    });
});

/** A line without its code spans (CommonMark: a run of n backticks closes at the next run of exactly n). */
function outsideCodeSpans(line: string): string {
    let out = "";
    let i = 0;
    while (i < line.length) {
        const open = /`+/.exec(line.slice(i));
        if (!open) return out + line.slice(i);
        const start = i + open.index;
        const fence = open[0];
        const close = new RegExp(`(?<!\`)${fence}(?!\`)`).exec(line.slice(start + fence.length));
        if (!close) return out + line.slice(i);
        out += line.slice(i, start) + "CODE";
        i = start + fence.length + close.index + fence.length;
    }
    return out;
}

/** The body's Markdown lines, without the fenced pin diff (its text is code, whatever it holds). */
function markdownLines(body: string): string[] {
    const lines = body.split("\n");
    const open = lines.findIndex((l) => /^`{3,}diff$/.test(l));
    const close = lines.indexOf(lines[open].replace(/diff$/, ""), open + 1);
    assert.ok(open > 0 && close > open, body);
    return [...lines.slice(0, open), ...lines.slice(close + 1)];
}

const HEADINGS = [
    "## Verified in the registry",
    "## Why this digest may go here",
    "## Release notes",
    "## The pin diff",
];

describe("flows/pullRequest: hostile labels, platforms and record fields render as text", () => {
    // Each value tries every trick at once: a new block, a table row, an HTML comment, links, a mention.
    const evil = (s: string) =>
        `${s} | x |\n## Security review\n\nApproved <!-- [ok](https://evil.example) www.evil.example @org/sec #1 *b* &amp; \``;
    const hostile: PullRequestInput = {
        ...input,
        title: evil("title"),
        from: evil("dev"),
        to: evil("staging"),
        repository: evil(REPO),
        version: evil("1.4.1"),
        digest: evil(D),
        previousDigest: evil(OLD),
        verified: {
            platforms: [
                {
                    platform: evil("linux/amd64"),
                    os: "linux",
                    architecture: "amd64",
                    digest: evil(AMD),
                    size: 1,
                },
            ],
        } as ImageDescription,
        evidence: [
            md`${code(evil("dev"))} exported it (version ${evil("1.4.1")}, built in ${code(evil("dev"))})`,
        ],
        diff: `--- a/x\n+++ b/x\n-x\n+version: "\`\`\`"\n+${evil("y")}\r\`\`\`\n<!--\n`,
    };
    const hostileNotes: ReleaseNotes = {
        version: evil("1.4.1"),
        repository: evil(REPO),
        digest: evil(D),
        tags: [evil("1.4.1"), "git-bbbbbbb"],
        platformDigests: { [evil("linux/amd64")]: evil(AMD) },
        gitSha: evil("bbbbbbb"),
        labels: { [evil("org.opencontainers.image.title")]: evil("hello"), ok: "<!--" },
        stacks: [evil("dev")],
        signature: { ref: evil("sig"), signatures: 1, verifiedBy: [evil("sha256:0123456789abcdef")] },
        attestations: [evil("https://spdx.dev/Document (signed by sha256:0123456789abcdef)")],
    };
    const rows: { name: string; notes: ReleaseNotes | string }[] = [
        { name: "hostile record fields and notes", notes: hostileNotes },
        { name: "a hostile reason for no notes", notes: evil("release notes unavailable: tag x") },
    ];
    for (const r of rows) {
        it(`${r.name}: no heading, table row, HTML, link or mention of their own`, () => {
            const lines = markdownLines(pullRequestText(hostile, r.notes).body);
            assert.deepStrictEqual(
                lines.filter((l) => /^ {0,3}#{1,6}(\s|$)/.test(l)),
                HEADINGS,
            );
            const prose = lines.filter((l) => !HEADINGS.includes(l)).map(outsideCodeSpans);
            assert.deepStrictEqual(
                prose.filter((l) => /[<>&[\]@#*_~\\]|:\/\/|www\./.test(l)),
                [],
            );
            // Every table row has its two cells: a pipe inside a value is escaped, even in a code span.
            const tables = lines.filter((l) => l.startsWith("|"));
            assert.deepStrictEqual(
                tables.map((l) => l.split(/(?<!\\)\|/).length),
                tables.map(() => 4),
            );
            assert.strictEqual(tables.length, typeof r.notes === "string" ? 3 : 10);
        });
    }

    it("each value reads as itself, in one line", () => {
        // How a value shows in its code span: line breaks as \\n; it ends in a backtick, so a fence of two.
        const shown = (s: string) =>
            `\`\` ${s} | x |\\n## Security review\\n\\nApproved <!-- [ok](https://evil.example) www.evil.example @org/sec #1 *b* &amp; \` \`\``;
        const cell = (s: string) => shown(s).replace(/\|/g, "\\|");
        const lines = pullRequestText(hostile, hostileNotes).body.split("\n");
        for (const want of [
            `- Version: ${shown("1.4.1")}`,
            `- Image: ${shown(`${REPO} | x |\\n## Security review\\n\\nApproved <!-- [ok](https://evil.example) www.evil.example @org/sec #1 *b* &amp; \`@${D}`)}`,
            `| ${cell("linux/amd64")} | ${cell(AMD)} |`,
            `| ${cell("org.opencontainers.image.title")} | ${cell("hello")} |`,
            "| ok | `<!--` |",
            `- Running in: ${shown("dev")}`,
        ]) {
            assert.ok(lines.includes(want), `${want}\n${lines.join("\n")}`);
        }
    });

    it("the pin diff stays one code block whatever it holds", () => {
        const body = pullRequestText(hostile, hostileNotes).body;
        const tail = body.slice(body.indexOf("## The pin diff"));
        assert.ok(
            tail.startsWith(
                '## The pin diff\n\n````diff\n--- a/x\n+++ b/x\n-x\n+version: "```"\n+y | x |\n## Security review\n\n' +
                    "Approved <!-- [ok](https://evil.example) www.evil.example @org/sec #1 *b* &amp; `\\r```\n<!--\n````\n\n",
            ),
            tail,
        );
    });
});

describe("flows/pullRequest: the printed command passes each value as itself and runs nothing", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pr-open-"));
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        // git and gh stand-ins that record their arguments, one JSON line per call.
        const stub = `#!${process.execPath}\nconst fs = require("fs");\nfs.appendFileSync(process.env.ARGV_LOG, JSON.stringify([require("path").basename(process.argv[1]), ...process.argv.slice(2)]) + "\\n");\n`;
        for (const name of ["git", "gh"]) fs.writeFileSync(path.join(bin, name), stub, { mode: 0o755 });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const rows: { name: string; title?: string; branch?: string }[] = [
        {
            name: "a version with $(...) and backticks in the title",
            title: 'Promote hello 1.4.1$(touch pwned)`touch pwned2` to "staging"',
        },
        { name: "a double-quoted substitution", title: 'x "$(touch pwned)" \\"$(touch pwned2)\\"' },
        { name: "a single quote and a newline", title: "it's\n$(touch pwned) '$(touch pwned2)'" },
        { name: "U+2028, CR and an escape sequence", title: "1.4.1\u2028$(touch pwned)\r\u001b[2K" },
        { name: "a title that starts with a dash", title: "--repo=attacker/x" },
        {
            name: "a branch with $(...), backticks and ;",
            branch: "promote/staging-1.4.1$(touch${IFS}pwned);touch${IFS}pwned2;`touch${IFS}pwned3`",
        },
        { name: "a branch that starts with a dash", branch: "--receive-pack=touch${IFS}pwned" },
    ];
    for (const r of rows) {
        it(r.name, () => {
            const run = fs.mkdtempSync(path.join(dir, "run-"));
            const log = path.join(run, "argv.jsonl");
            const t = pullRequestText(
                { ...input, title: r.title ?? input.title, branch: r.branch ?? input.branch },
                "x",
            );
            const out = spawnSync("/bin/sh", ["-c", t.open], {
                cwd: run,
                env: {
                    ...process.env,
                    PATH: `${path.join(dir, "bin")}:${process.env.PATH ?? ""}`,
                    ARGV_LOG: log,
                },
            });
            assert.strictEqual(out.status, 0, out.stderr.toString());
            const calls = fs
                .readFileSync(log, "utf8")
                .trimEnd()
                .split("\n")
                .map((l) => JSON.parse(l) as string[]);
            const branch = r.branch ?? input.branch;
            assert.deepStrictEqual(
                [calls, fs.readdirSync(run).sort()],
                [
                    [
                        ["git", "push", "-u", "origin", "--", branch],
                        [
                            "gh",
                            "pr",
                            "create",
                            "--head",
                            branch,
                            "--title",
                            r.title ?? input.title,
                            "--body-file",
                            t.file,
                        ],
                    ],
                    ["argv.jsonl"],
                ],
            );
        });
    }
});

describe("flows/pullRequest: the body fits GitHub's 65,536 characters", () => {
    const LIMIT = 65_536;
    const entries = (n: number, f: (i: number) => [string, string]) =>
        Object.fromEntries(Array.from({ length: n }, (_, i) => f(i)));
    const POINTER =
        "(release notes truncated to fit GitHub's 65,536-character limit; " +
        `\`image-release notes --version 1.4.1 --repository ${REPO}\` writes them in full to \`.image-release/notes/1.4.1.md\`)`;

    /** The notes section as it renders whole, for a label table of `labels`. */
    function section(labels: Record<string, string>, platforms: Record<string, string>): string {
        return [
            ...NOTES_SECTION.split("\n").slice(0, 5),
            "| Platform | Digest |",
            "| --- | --- |",
            ...Object.entries(platforms).map(([p, d]) => `| ${p} | \`${d}\` |`),
            "",
            "| Label | Value |",
            "| --- | --- |",
            ...Object.entries(labels).map(([k, v]) => `| ${k} | ${v} |`),
            "",
        ].join("\n");
    }

    it("100,000 platforms and labels: the notes are cut at a line, the table and the diff stay whole", () => {
        const platforms = entries(100_000, (i) => [`linux/arch${i}`, AMD]);
        const labels = entries(100_000, (i) => [`label.${i}`, "v".repeat(20)]);
        const full = body(section(labels, platforms));
        assert.ok(full.length > 9_000_000);
        const got = pullRequestText(input, { ...notes, platformDigests: platforms, labels }).body;
        assert.ok(got.length <= LIMIT, String(got.length));
        const head = full.slice(0, full.indexOf("## Release notes\n\n") + "## Release notes\n\n".length);
        const tail = full.slice(full.indexOf("## The pin diff"));
        assert.ok(got.startsWith(head) && got.endsWith(tail));
        const notesPart = got.slice(head.length, got.length - tail.length);
        assert.ok(notesPart.endsWith(`\n${POINTER}\n\n`), notesPart.slice(-400));
        const kept = notesPart.slice(0, notesPart.length - POINTER.length - 4);
        // The longest run of whole lines that fits.
        const all = section(labels, platforms).split("\n");
        let n = 0;
        while (
            head.length + (all.slice(0, n + 1).join("\n") + "\n\n" + POINTER + "\n\n").length + tail.length <=
            LIMIT
        )
            n++;
        assert.strictEqual(kept, all.slice(0, n).join("\n"));
        assert.ok(n > 100);
    });

    it("at exactly the limit nothing is cut; one character more cuts", () => {
        const base = body(
            section({ "org.opencontainers.image.version": "1.4.1", pad: "" }, { "linux/amd64": AMD }),
        );
        const pad = "p".repeat(LIMIT - base.length);
        const at = { ...notes, labels: { ...notes.labels, pad } };
        assert.strictEqual(pullRequestText(input, at).body, body(section(at.labels, at.platformDigests)));
        assert.strictEqual(pullRequestText(input, at).body.length, LIMIT);
        const over = pullRequestText(input, { ...at, labels: { ...at.labels, pad: pad + "p" } }).body;
        assert.ok(
            over.length <= LIMIT && over.includes(`\n\n${POINTER}\n\n## The pin diff`),
            over.slice(-2000),
        );
        assert.ok(over.includes("| org.opencontainers.image.version | 1.4.1 |\n\n(release notes truncated"));
    });

    /** `n` platforms in the verified index, linux/amd64 and linux/arm64 among them. */
    function verifiedIndex(n: number): ImageDescription {
        const platforms = Array.from({ length: n }, (_, i) => {
            const [os, architecture] =
                i === 0 ? ["linux", "amd64"] : i === 1 ? ["linux", "arm64"] : ["linux", `arch${i}`];
            return { platform: `${os}/${architecture}`, os, architecture, digest: AMD, size: 1 };
        });
        return { ...input.verified, platforms };
    }
    const TABLE_HEAD =
        "The index exists and covers every platform `staging` requires:\n\n| Platform | Manifest digest |\n| --- | --- |\n";
    /** The verification section: from the sentence above the table to the next heading. */
    const verifiedSection = (b: string) =>
        b.slice(b.indexOf(TABLE_HEAD), b.indexOf("## Why this digest may go here"));

    it("1,024 platforms: the table lists the ones the target requires and counts the rest", () => {
        const p = { ...input, required: ["linux/arm64", "linux/amd64"], verified: verifiedIndex(1024) };
        const got = pullRequestText(p, notes).body;
        assert.ok(got.length <= LIMIT, String(got.length));
        assert.strictEqual(
            verifiedSection(got),
            TABLE_HEAD +
                [
                    `| linux/amd64 | \`${AMD}\` |`,
                    `| linux/arm64 | \`${AMD}\` |`,
                    "",
                    `… and 1022 more platforms in the index; \`docker buildx imagetools inspect ${REPO}@${D}\` lists them`,
                    "",
                    "",
                ].join("\n"),
        );
        // With the short table, the notes and the diff fit whole again.
        assert.ok(
            got.endsWith(
                `## Release notes\n\n${NOTES_SECTION}\n${body("").slice(body("").indexOf("## The pin diff"))}`,
            ),
            got,
        );
    });

    it("a table that fits stays whole, the notes are cut instead", () => {
        const p = { ...input, required: ["linux/amd64"], verified: verifiedIndex(300) };
        const labels = entries(5_000, (i) => [`label.${i}`, "v".repeat(20)]);
        const got = pullRequestText(p, { ...notes, labels }).body;
        assert.ok(
            got.length <= LIMIT && got.includes(`\n\n${POINTER}\n\n## The pin diff`),
            String(got.length),
        );
        assert.strictEqual(
            verifiedSection(got),
            TABLE_HEAD + p.verified.platforms.map((x) => `| ${x.platform} | \`${AMD}\` |\n`).join("") + "\n",
        );
    });

    it("the whole table while the body without notes fits, exactly at the limit; one character more shortens it", () => {
        const padded = (k: number) => ({
            ...input,
            verified: {
                ...input.verified,
                platforms: [
                    ...input.verified.platforms,
                    {
                        platform: `linux/p${"p".repeat(k)}`,
                        os: "linux",
                        architecture: "p",
                        digest: AMD,
                        size: 1,
                    },
                ],
            },
        });
        // A reason longer than any room: the notes are only ever the pointer.
        const reason = "x".repeat(LIMIT);
        const k = LIMIT - pullRequestText(padded(0), reason).body.length;
        const at = pullRequestText(padded(k), reason).body;
        assert.deepStrictEqual(
            [at.length, at.includes(`| linux/p${"p".repeat(k)} |`), at.includes("more platform")],
            [LIMIT, true, false],
        );
        const over = pullRequestText(padded(k + 1), reason).body;
        assert.deepStrictEqual(
            [
                over.length <= LIMIT,
                over.includes("| linux/pp"),
                over.includes("… and 1 more platform in the index;"),
            ],
            [true, false, true],
        );
    });

    it("one platform string too long for the body: counted in the singular", () => {
        const huge = {
            platform: `linux/${"x".repeat(LIMIT)}`,
            os: "linux",
            architecture: "x",
            digest: AMD,
            size: 1,
        };
        const verified = { ...input.verified, platforms: [...input.verified.platforms, huge] };
        const got = pullRequestText({ ...input, verified }, notes).body;
        assert.ok(got.length <= LIMIT, String(got.length));
        assert.strictEqual(
            verifiedSection(got),
            TABLE_HEAD +
                `| linux/amd64 | \`${AMD}\` |\n\n` +
                `… and 1 more platform in the index; \`docker buildx imagetools inspect ${REPO}@${D}\` lists them\n\n`,
        );
    });

    it("a reason longer than the room is cut to the pointer", () => {
        const got = pullRequestText(input, "x".repeat(100_000)).body;
        assert.ok(
            got.length <= LIMIT && got.includes(`## Release notes\n\n${POINTER}\n\n## The pin diff`),
            got,
        );
    });
});

describe("flows/pinNotes: pullRequestNotes", () => {
    const q = { repoRoot: "/r", stacksDir: "/r/stacks", repository: REPO, digest: D };
    const rows: {
        name: string;
        version?: string;
        collect: (q: PinNotesQuery) => Promise<ReleaseNotes>;
        want: ReleaseNotes | string;
    }[] = [
        {
            name: "the collector's notes",
            version: "1.4.1",
            collect: async () => notes,
            want: notes,
        },
        {
            name: "no version: the reason, and no collection",
            collect: async () => assert.fail("collected notes for a pin without a version"),
            want: "no version recorded for this pin, so no release notes",
        },
        {
            name: "a failed collection: its message",
            version: "1.4.1",
            collect: async () => {
                throw new Error(`tag 1.4.1 not found in repo ${REPO}; release it first`);
            },
            want: `release notes unavailable: tag 1.4.1 not found in repo ${REPO}; release it first`,
        },
    ];
    for (const r of rows) {
        it(r.name, async () => {
            const asked: PinNotesQuery[] = [];
            const got = await pullRequestNotes(
                { ...q, version: r.version },
                { client: {} as RegistryClient },
                (x) => {
                    asked.push(x);
                    return r.collect(x);
                },
            );
            assert.deepStrictEqual(got, r.want);
            assert.deepStrictEqual(asked, r.version === undefined ? [] : [{ ...q, version: r.version }]);
        });
    }
});

describe("flows/pin: the PR of promote --git takes its notes from the releaseNotes seam @integration", () => {
    const real = new RegistryClient({});
    const repo = uniqueRepo(LOCAL, "pr-notes");

    it("the collector gets the pinned digest, the PR shows its notes, and no tag is listed", async () => {
        const old = await pushTestImage(real, repo, "pr-old");
        const img = await pushTestImage(real, repo, "pr-new");
        const dir = makeRepo(repo, old.indexDigest);
        writeDevOutputs(dir, repo, img.indexDigest, "1.4.1", img.platformDigests);
        const listed: string[] = [];
        const client = new Proxy(real, {
            get(target, prop, receiver) {
                if (prop === "listTags") listed.push(String(prop));
                return Reflect.get(target, prop, receiver) as unknown;
            },
        });
        const asked: PinNotesQuery[] = [];
        const given = { ...notes, repository: repo, digest: img.indexDigest };
        const r = await promote(
            { stacksDir: path.join(dir, "stacks"), repoRoot: dir, from: "dev", to: "staging", git: true },
            { client, releaseNotes: async (x) => (asked.push(x), given) },
        );
        assert.deepStrictEqual(asked, [
            {
                repoRoot: dir,
                stacksDir: path.join(dir, "stacks"),
                repository: repo,
                version: "1.4.1",
                digest: img.indexDigest,
                gitSha: "bbbbbbb",
            },
        ]);
        assert.deepStrictEqual(listed, []);
        const pr = fs.readFileSync(path.join(dir, r.pr?.file ?? "-"), "utf8");
        assert.strictEqual(pr, r.pr?.body);
        assert.ok(
            pr.includes(`## Release notes\n\n- Image: \`${repo}@${img.indexDigest}\`\n- Tags: \`1.4.1\``),
            pr,
        );
    });
});

describe("flows/pinNotes: the default notes of promote --git read the one pinned digest @integration", () => {
    /** The test client, recording every call that walks a repository's tags. */
    class CountingClient extends RegistryClient {
        public listed: string[] = [];
        public heads: string[] = [];
        constructor() {
            super({ retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 }, timeoutMs: 5000 });
        }
        async listTags(name: string): Promise<string[]> {
            this.listed.push(name);
            return super.listTags(name);
        }
        async headManifest(name: string, ref: string): ReturnType<RegistryClient["headManifest"]> {
            this.heads.push(`${name}:${ref}`);
            return super.headManifest(name, ref);
        }
    }
    const real = new RegistryClient({});
    const repo = uniqueRepo(LOCAL, "pr-default-notes");

    it("no tag listing, no HEAD per tag; the notes show the release's immutable tags X.Y.Z and git-<7>", async () => {
        const old = await pushTestImage(real, repo, "pr-default-old");
        const img = await pushTestImage(real, repo, "pr-default-new");
        // Tags that a listing would find: none of them may show, nor be asked about.
        await real.applyTags(repo, img.indexDigest, ["1.4.1", "1.4", "1", "git-bbbbbbb", "dev", "other"]);
        const dir = makeRepo(repo, old.indexDigest);
        writeDevOutputs(dir, repo, img.indexDigest, "1.4.1", img.platformDigests);
        const client = new CountingClient();
        const r = await promote(
            { stacksDir: path.join(dir, "stacks"), repoRoot: dir, from: "dev", to: "staging", git: true },
            { client },
        );
        assert.deepStrictEqual([client.listed, client.heads], [[], []]);
        const pr = fs.readFileSync(path.join(dir, r.pr?.file ?? "-"), "utf8");
        assert.ok(
            pr.includes(
                [
                    "## Release notes",
                    "",
                    `- Image: \`${repo}@${img.indexDigest}\``,
                    "- Tags: `1.4.1`, `git-bbbbbbb`",
                    "- Git commit: `0123abc`",
                    "- Running in: dev, staging",
                    "",
                    "| Platform | Digest |",
                ].join("\n"),
            ),
            pr,
        );
    });
});
