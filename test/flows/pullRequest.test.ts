import * as assert from "assert";
import * as fs from "fs";
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
    evidence: ["`dev` pinned it in a committed version of stacks/Pulumi.dev.yaml"],
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
                open: 'git push -u origin promote/staging-1.4.1-111111111111 && gh pr create --head promote/staging-1.4.1-111111111111 --title "Promote hello 1.4.1 from dev to \\"staging\\"" --body-file .image-release/pr/promote/staging-1.4.1-111111111111.md',
            });
        });
    }

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
