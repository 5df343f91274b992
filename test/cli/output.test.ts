import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { pushTestImage } from "../fixtures/registry/testImage";
import {
    commitAll,
    expectedPin as expected,
    git,
    makeRepo,
    readStack as read,
    writeDevOutputs,
} from "../fixtures/cli/repo";
import { cliRepo as uniqueRepo, testClient } from "../fixtures/cli/scenarios";
import { runCli } from "../helpers/cli";

const client = testClient();

describe("cli human and --json output of every flow @integration", () => {
    it("promote dry run, promote --retag --git, promote --json, history, rollback, status, verify", async () => {
        const repo = uniqueRepo();
        const a = await pushTestImage(client, repo, "out-a");
        const b = await pushTestImage(client, repo, "out-b");
        const d0 = a.indexDigest;
        const d1 = b.indexDigest;
        const name = repo.split("/").pop();
        const platforms = ["linux/amd64", "linux/arm64"];
        const dir = makeRepo(repo, d0);
        const initial = git(dir, ["rev-parse", "HEAD"]).trim();
        writeDevOutputs(dir, repo, d1, "1.4.1", b.platformDigests);
        const cli = (...args: string[]) => runCli([...args, "--repo-root", dir]);
        /** A whole-file hunk: lines [from, to) of `text` replaced by `plus`. */
        const diff = (file: string, text: string, from: number, to: number, plus: string[]) => {
            const l = text.split("\n").slice(0, -1);
            return [
                `--- a/${file}`,
                `+++ b/${file}`,
                `@@ -1,${l.length} +1,${l.length - (to - from) + plus.length} @@`,
                ...l.slice(0, from).map((x) => ` ${x}`),
                ...l.slice(from, to).map((x) => `-${x}`),
                ...plus.map((x) => `+${x}`),
                ...l.slice(to).map((x) => ` ${x}`),
                "",
            ].join("\n");
        };
        const message = (
            title: string,
            from: string,
            to: string,
            v: string,
            d: string,
            prev: string,
            trailer: string[] = [],
        ) =>
            [
                title,
                "",
                `from: ${from}`,
                `to: ${to}`,
                `version: ${v}`,
                `digest: ${d}`,
                `platforms: ${platforms.join(", ")}`,
                `previous digest: ${prev}`,
                ...trailer,
                "",
            ].join("\n");
        const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";

        // promote dev -> staging --dry-run: the diff, nothing written, both forms.
        const stagingBefore = read(dir, "staging");
        const stagingDiff = diff("stacks/Pulumi.staging.yaml", stagingBefore, 10, 13, [
            `    image-release:digest: ${d1} # index digest`,
            "    image-release:version: 1.4.1",
            "    image-release:gitSha: bbbbbbb",
        ]);
        const stagingMsg = message(
            `Promote ${name} 1.4.1 from dev to staging`,
            "dev",
            "staging",
            "1.4.1",
            d1,
            d0,
        );
        let r = await cli("promote", "--from", "dev", "--to", "staging", "--dry-run");
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                0,
                [
                    `promote dev -> staging: 1.4.1 ${d1}`,
                    `previous: ${d0}`,
                    "dry run: nothing written",
                    stagingDiff,
                ].join("\n"),
                "",
            ],
        );
        r = await cli("promote", "--from", "dev", "--to", "staging", "--dry-run", "--json");
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                0,
                json({
                    file: "stacks/Pulumi.staging.yaml",
                    diff: stagingDiff,
                    written: false,
                    commitMessage: stagingMsg,
                    from: "dev",
                    to: "staging",
                    digest: d1,
                    version: "1.4.1",
                    platforms,
                    previousDigest: d0,
                }),
                "",
            ],
        );
        assert.strictEqual(read(dir, "staging"), stagingBefore);
        assert.strictEqual(await client.headManifest(repo, "staging"), undefined);

        // promote dev -> staging --retag --git: file written, tag moved, branch + PR-ready commit.
        const branch = `promote/staging-1.4.1-${d1.slice(7, 19)}`;
        r = await cli("promote", "--from", "dev", "--to", "staging", "--retag", "--git");
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                0,
                [
                    `promote dev -> staging: 1.4.1 ${d1}`,
                    `previous: ${d0}`,
                    "wrote stacks/Pulumi.staging.yaml",
                    "moved tag staging (was unset)",
                    `committed on branch ${branch}`,
                    `pull request: Promote ${name} 1.4.1 from dev to staging`,
                    `  body: .image-release/pr/${branch}.md`,
                    `  open it: git push -u origin -- ${branch} && gh pr create --head ${branch} --title 'Promote ${name} 1.4.1 from dev to staging' --body-file .image-release/pr/${branch}.md`,
                    "",
                ].join("\n"),
                "",
            ],
        );
        // The PR body a reviewer reads: what moves, what the registry verified, why, notes, the exact diff.
        assert.strictEqual(
            fs.readFileSync(path.join(dir, ".image-release", "pr", `${branch}.md`), "utf8"),
            [
                "Promotes `staging` to 1.4.1: `dev` → `staging`. No rebuild: the pin is the digest below.",
                "",
                `- Image: \`${repo}@${d1}\``,
                "- Version: 1.4.1",
                `- Replaces: \`${d0}\``,
                "",
                "## Verified in the registry",
                "",
                "The index exists and covers every platform `staging` requires:",
                "",
                "| Platform | Manifest digest |",
                "| --- | --- |",
                `| linux/amd64 | \`${b.platformDigests["linux/amd64"]}\` |`,
                `| linux/arm64 | \`${b.platformDigests["linux/arm64"]}\` |`,
                "",
                "## Why this digest may go here",
                "",
                "- `dev` exported it as its `release` stack output (.image-release/outputs/dev.json: version 1.4.1, built in `dev`)",
                "",
                "## Release notes",
                "",
                // The pinned digest's own notes: its describe, and the release's immutable tags (no listing).
                `- Image: \`${repo}@${d1}\``,
                "- Tags: `1.4.1`, `git-bbbbbbb`",
                "- Git commit: `0123abc`",
                "- Running in: dev, staging",
                "",
                "| Platform | Digest |",
                "| --- | --- |",
                `| linux/amd64 | \`${b.platformDigests["linux/amd64"]}\` |`,
                `| linux/arm64 | \`${b.platformDigests["linux/arm64"]}\` |`,
                "",
                "| Label | Value |",
                "| --- | --- |",
                "| org.opencontainers.image.revision | 0123abc |",
                "| org.opencontainers.image.version | 1.4.2 |",
                "| test.seed | out-b |",
                "",
                "## The pin diff",
                "",
                "```diff",
                stagingDiff.replace(/\n$/, ""),
                "```",
                "",
                "After merge: `pulumi preview --stack staging` (checks the pin), then `pulumi up --stack staging`.",
                "",
            ].join("\n"),
        );
        const stagingAfter = expected("staging", repo, d0, {
            digest: d1,
            version: "1.4.1",
            gitSha: "bbbbbbb",
            promotedFrom: "dev",
        });
        assert.deepStrictEqual(
            [
                read(dir, "staging"),
                (await client.headManifest(repo, "staging"))?.digest,
                git(dir, ["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
                git(dir, ["log", "-1", "--format=%B"]),
                git(dir, ["show", "HEAD:stacks/Pulumi.staging.yaml"]),
                git(dir, ["diff", "--name-only", "HEAD~1", "HEAD"]),
                git(dir, ["status", "--porcelain", "--", "stacks"]),
            ],
            [stagingAfter, d1, branch, stagingMsg + "\n", stagingAfter, "stacks/Pulumi.staging.yaml\n", ""],
        );

        // promote staging -> prod --retag --json.
        const prodBefore = read(dir, "prod");
        const prodDiff = diff("stacks/Pulumi.prod.yaml", prodBefore, 10, 13, [
            `    image-release:digest: ${d1} # index digest`,
            "    image-release:version: 1.4.1",
            "    image-release:gitSha: bbbbbbb",
        ]);
        r = await cli("promote", "--from", "staging", "--to", "prod", "--retag", "--json");
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                0,
                json({
                    file: "stacks/Pulumi.prod.yaml",
                    diff: prodDiff,
                    written: true,
                    commitMessage: message(
                        `Promote ${name} 1.4.1 from staging to prod`,
                        "staging",
                        "prod",
                        "1.4.1",
                        d1,
                        d0,
                    ),
                    retagged: { tag: "prod" },
                    from: "staging",
                    to: "prod",
                    digest: d1,
                    version: "1.4.1",
                    platforms,
                    previousDigest: d0,
                }),
                "",
            ],
        );
        assert.strictEqual((await client.headManifest(repo, "prod"))?.digest, d1);
        const promoted = commitAll(dir, "Promote 1.4.1 to prod", 3);

        // history, both forms.
        const hist = [
            {
                commit: promoted,
                shortCommit: promoted.slice(0, 7),
                date: "2024-01-03T12:00:00.000Z",
                author: "Release Bot",
                message: "Promote 1.4.1 to prod",
                digest: d1,
                version: "1.4.1",
                gitSha: "bbbbbbb",
                promotedFrom: "staging",
                repository: repo,
            },
            {
                commit: initial,
                shortCommit: initial.slice(0, 7),
                date: "2024-01-01T12:00:00.000Z",
                author: "Release Bot",
                message: "Initial stacks",
                digest: d0,
                version: "1.4.0",
                gitSha: "aaaaaaa",
                promotedFrom: "staging",
                repository: repo,
            },
        ];
        r = await cli("history", "--stack", "prod");
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                0,
                [
                    "COMMIT   DATE                      AUTHOR       VERSION  DIGEST               MESSAGE",
                    `${promoted.slice(0, 7)}  2024-01-03T12:00:00.000Z  Release Bot  1.4.1    ${d1.slice(0, 19)}  Promote 1.4.1 to prod`,
                    `${initial.slice(0, 7)}  2024-01-01T12:00:00.000Z  Release Bot  1.4.0    ${d0.slice(0, 19)}  Initial stacks`,
                    "",
                ].join("\n"),
                "",
            ],
        );
        r = await cli("history", "--stack", "prod", "--json");
        assert.deepStrictEqual([r.code, r.stdout, r.stderr], [0, json(hist), ""]);

        // rollback prod (default: the digest before the current one): dry run, then --retag --json.
        const prodNow = read(dir, "prod");
        // promotedFrom stays "staging": the initial pin's own origin, not the word "rollback".
        const rbDiff = diff("stacks/Pulumi.prod.yaml", prodNow, 10, 13, [
            `    image-release:digest: ${d0} # index digest`,
            "    image-release:version: 1.4.0",
            "    image-release:gitSha: aaaaaaa",
        ]);
        r = await cli("rollback", "--stack", "prod", "--dry-run");
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                0,
                [
                    `rollback prod: 1.4.0 ${d0} (from commit ${initial.slice(0, 7)})`,
                    `previous: ${d1}`,
                    "dry run: nothing written",
                    rbDiff,
                ].join("\n"),
                "",
            ],
        );
        assert.strictEqual(read(dir, "prod"), prodNow);
        r = await cli("rollback", "--stack", "prod", "--retag", "--json");
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                0,
                json({
                    file: "stacks/Pulumi.prod.yaml",
                    diff: rbDiff,
                    written: true,
                    commitMessage: message(
                        `Roll back prod to 1.4.0 (${initial.slice(0, 7)})`,
                        "staging",
                        "prod",
                        "1.4.0",
                        d0,
                        d1,
                        [`rollback: restores the pin of commit ${initial}`],
                    ),
                    retagged: { tag: "prod", previousDigest: d1 },
                    stack: "prod",
                    digest: d0,
                    version: "1.4.0",
                    previousDigest: d1,
                    commit: initial,
                }),
                "",
            ],
        );
        assert.strictEqual((await client.headManifest(repo, "prod"))?.digest, d0);
        commitAll(dir, "Roll back prod", 4);

        // rollback --to 1.4.1 (a named version), human form.
        r = await cli("rollback", "--stack", "prod", "--to", "1.4.1");
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                0,
                [
                    `rollback prod: 1.4.1 ${d1} (from commit ${promoted.slice(0, 7)})`,
                    `previous: ${d0}`,
                    "wrote stacks/Pulumi.prod.yaml",
                    "",
                ].join("\n"),
                "",
            ],
        );

        // status: prod's tag still points at d0 while the pin says d1 now, so it drifts; dev's tag was never set.
        const sh = (d: string) => d.slice(0, 19);
        r = await cli("status");
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                0,
                [
                    "STACK    VERSION  DIGEST               CHANNEL  CHANNEL->            IN REGISTRY  DRIFT",
                    `dev      1.4.1    ${sh(d1)}  dev      -                    yes          DRIFT`,
                    `prod     1.4.1    ${sh(d1)}  prod     ${sh(d0)}  yes          DRIFT`,
                    `staging  1.4.1    ${sh(d1)}  staging  ${sh(d1)}  yes          no`,
                    "",
                ].join("\n"),
                "",
            ],
        );
        r = await cli("status", "--json");
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                0,
                json([
                    {
                        stack: "dev",
                        version: "1.4.1",
                        digest: d1,
                        channel: "dev",
                        present: true,
                        drift: true,
                    },
                    {
                        stack: "prod",
                        version: "1.4.1",
                        digest: d1,
                        channel: "prod",
                        channelDigest: d0,
                        present: true,
                        drift: true,
                    },
                    {
                        stack: "staging",
                        version: "1.4.1",
                        digest: d1,
                        channel: "staging",
                        channelDigest: d1,
                        present: true,
                        drift: false,
                    },
                ]),
                "",
            ],
        );

        // verify: pins are digests, no `latest`, no release tags to disagree.
        r = await cli("verify");
        assert.deepStrictEqual([r.code, r.stdout, r.stderr], [0, "verify: ok\n", ""]);
    });
});
