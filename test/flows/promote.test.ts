import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { history, promote, rollback, status } from "../../src/flows";
import { pushTestImage, TestImage } from "../fixtures/registry/testImage";
import {
    commitAll,
    expectedPin as expected,
    fixtureText,
    git,
    makeRepo,
    readStack as read,
    writeDevOutputs,
} from "../fixtures/cli/repo";
import { cliRepo as uniqueRepo, releasedElsewhere, testClient, twoImages } from "../fixtures/cli/scenarios";
import { closedPort } from "../helpers/cli";

const client = testClient();
const deps = { client };

describe("promote @integration", () => {
    let repo: string;
    let img0: TestImage;
    let img1: TestImage;
    let amdOnly: TestImage;
    const savedEnv = { ...process.env };

    before(async () => {
        ({ repo, img0, img1 } = await twoImages(client));
        amdOnly = await pushTestImage(client, repo, "cli-amd", [["linux", "amd64"]]);
    });
    afterEach(() => {
        process.env.GIT_AUTHOR_DATE = savedEnv.GIT_AUTHOR_DATE;
        process.env.GIT_COMMITTER_DATE = savedEnv.GIT_COMMITTER_DATE;
        if (savedEnv.GIT_AUTHOR_DATE === undefined) delete process.env.GIT_AUTHOR_DATE;
        if (savedEnv.GIT_COMMITTER_DATE === undefined) delete process.env.GIT_COMMITTER_DATE;
    });

    it("promotes dev -> staging -> prod, rolls back, and reports status and history exactly", async () => {
        const d0 = img0.indexDigest;
        const d1 = img1.indexDigest;
        const dir = makeRepo(repo, d0);
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        writeDevOutputs(dir, repo, d1, "1.4.1", img1.platformDigests);

        const dry = await promote({ ...o, from: "dev", to: "staging", dryRun: true }, deps);
        assert.strictEqual(dry.written, false);
        assert.strictEqual(read(dir, "staging"), fixtureText("Pulumi.staging.yaml", repo, d0));
        // Lines without their terminators, as diff(1) counts them.
        const lines = fixtureText("Pulumi.staging.yaml", repo, d0).split("\n").slice(0, -1);
        assert.strictEqual(
            dry.diff,
            [
                "--- a/stacks/Pulumi.staging.yaml",
                "+++ b/stacks/Pulumi.staging.yaml",
                "@@ -1,16 +1,16 @@",
                ...lines.slice(0, 10).map((l) => ` ${l}`),
                `-    image-release:digest: ${d0} # index digest`,
                "-    image-release:version: 1.4.0",
                "-    image-release:gitSha: aaaaaaa",
                `+    image-release:digest: ${d1} # index digest`,
                "+    image-release:version: 1.4.1",
                "+    image-release:gitSha: bbbbbbb",
                ...lines.slice(13).map((l) => ` ${l}`),
                "",
            ].join("\n"),
        );

        const s = await promote({ ...o, from: "dev", to: "staging", retag: true }, deps);
        assert.deepStrictEqual(s.retagged, { tag: "staging" });
        assert.strictEqual(
            read(dir, "staging"),
            expected("staging", repo, d0, {
                digest: d1,
                version: "1.4.1",
                gitSha: "bbbbbbb",
                promotedFrom: "dev",
            }),
        );
        assert.strictEqual((await client.headManifest(repo, "staging"))?.digest, d1);
        commitAll(dir, "Promote 1.4.1 to staging", 2);

        process.env.GIT_AUTHOR_DATE = process.env.GIT_COMMITTER_DATE = "2024-01-03T12:00:00Z";
        const p = await promote({ ...o, from: "staging", to: "prod", git: true }, deps);
        assert.strictEqual(p.branch, `promote/prod-1.4.1-${d1.slice(7, 19)}`);
        assert.strictEqual(git(dir, ["rev-parse", "--abbrev-ref", "HEAD"]).trim(), p.branch);
        assert.strictEqual(
            git(dir, ["log", "-1", "--format=%B"]),
            [
                `Promote ${repo.split("/").pop()} 1.4.1 from staging to prod`,
                "",
                "from: staging",
                "to: prod",
                "version: 1.4.1",
                `digest: ${d1}`,
                "platforms: linux/amd64, linux/arm64",
                `previous digest: ${d0}`,
                "",
                "",
            ].join("\n"),
        );
        const prodAfterPromote = expected("prod", repo, d0, {
            digest: d1,
            version: "1.4.1",
            gitSha: "bbbbbbb",
            promotedFrom: "staging",
        });
        assert.strictEqual(read(dir, "prod"), prodAfterPromote);

        const st = await status(o, deps);
        const want = [
            { stack: "dev", version: "1.4.1", digest: d1, channel: "dev", present: true, drift: true },
            { stack: "prod", version: "1.4.1", digest: d1, channel: "prod", present: true, drift: true },
            {
                stack: "staging",
                version: "1.4.1",
                digest: d1,
                channel: "staging",
                channelDigest: d1,
                present: true,
                drift: false,
            },
        ];
        assert.deepStrictEqual(st, want);

        process.env.GIT_AUTHOR_DATE = process.env.GIT_COMMITTER_DATE = "2024-01-04T12:00:00Z";
        const rb = await rollback({ ...o, stack: "prod", git: false }, deps);
        assert.strictEqual(rb.digest, d0);
        assert.strictEqual(
            read(dir, "prod"),
            expected("prod", repo, d0, {
                digest: d0,
                version: "1.4.0",
                gitSha: "aaaaaaa",
                // The restored pin keeps its own origin: the program exports it as release.sourceStack.
                promotedFrom: "staging",
            }),
        );
        commitAll(dir, "Roll back prod", 4);

        await assert.rejects(rollback({ ...o, stack: "prod", to: "1.4.0" }, deps), {
            message: `stack "prod" already runs 1.4.0 (${d0}); refusing to roll back to the current digest`,
        });
        await assert.rejects(rollback({ ...o, stack: "prod", to: d0 }, deps), {
            message: `stack "prod" already runs ${d0}; refusing to roll back to the current digest`,
        });
        const named = await rollback({ ...o, stack: "prod", to: "1.4.1" }, deps);
        assert.strictEqual(named.digest, d1);
        assert.strictEqual(
            read(dir, "prod"),
            expected("prod", repo, d0, {
                digest: d1,
                version: "1.4.1",
                gitSha: "bbbbbbb",
                promotedFrom: "staging",
            }),
        );

        const h = await history({ ...o, stack: "prod" });
        const head = (n: number) => git(dir, ["rev-parse", `HEAD~${n}`]).trim();
        assert.deepStrictEqual(
            h.map((e) => [e.commit, e.date, e.author, e.message, e.digest, e.version]),
            [
                [head(0), "2024-01-04T12:00:00.000Z", "Release Bot", "Roll back prod", d0, "1.4.0"],
                [
                    head(1),
                    "2024-01-03T12:00:00.000Z",
                    "Release Bot",
                    `Promote ${repo.split("/").pop()} 1.4.1 from staging to prod`,
                    d1,
                    "1.4.1",
                ],
                [head(3), "2024-01-01T12:00:00.000Z", "Release Bot", "Initial stacks", d0, "1.4.0"],
            ],
        );
    });

    it("dev released into another repository: promote copies the digest from there before the write", async () => {
        const { stackRepo, released, rel, pinned, dir } = await releasedElsewhere(client);
        const staging = read(dir, "staging");
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        const r = await promote({ ...o, from: "dev", to: "staging" }, deps);
        // The digest and its X.Y.Z and git- tags were copied into staging's repository before the write.
        assert.deepStrictEqual(
            [r.copied?.from, r.copied?.to, r.copied?.alreadyPresent, r.copied?.tags.map((t) => t.tag)],
            [released, stackRepo, false, ["2.0.0", "git-bbbbbbb"]],
        );
        assert.strictEqual((await client.headManifest(stackRepo, rel.indexDigest))?.digest, rel.indexDigest);
        assert.strictEqual(
            read(dir, "staging"),
            staging
                .replace(`digest: ${pinned.indexDigest}`, `digest: ${rel.indexDigest}`)
                .replace("version: 1.4.0", "version: 2.0.0")
                .replace("gitSha: aaaaaaa", "gitSha: bbbbbbb")
                .replace(
                    "    image-release:promotedFrom: dev\n",
                    `    image-release:promotedFrom: dev\n    image-release:sourceRepository: ${released}\n`,
                ),
        );
        const promoted = read(dir, "staging");
        commitAll(dir, "Promote 2.0.0 to staging", 2);

        // staging moved to a repository its pin has not been copied into yet (no `pulumi up` since):
        // the digest is taken from where staging's pin came from.
        const other = uniqueRepo();
        fs.writeFileSync(
            path.join(dir, "stacks", "Pulumi.staging.yaml"),
            promoted.split(`repository: ${stackRepo}`).join(`repository: ${other}`),
        );
        const toProd = await promote({ ...o, from: "staging", to: "prod", dryRun: true }, deps);
        assert.deepStrictEqual(
            [toProd.copied?.from, toProd.copied?.to, toProd.copied?.alreadyPresent],
            [released, stackRepo, true],
        );
        assert.match(toProd.diff, new RegExp(`\\+    image-release:sourceRepository: ${released}\n`));

        // Without that record of origin, a source repository that lacks the digest is refused.
        fs.writeFileSync(
            path.join(dir, "stacks", "Pulumi.staging.yaml"),
            promoted
                .split(`repository: ${stackRepo}`)
                .join(`repository: ${other}`)
                .replace(`    image-release:sourceRepository: ${released}\n`, ""),
        );
        const prod = read(dir, "prod");
        await assert.rejects(promote({ ...o, from: "staging", to: "prod" }, deps), {
            message: `digest ${rel.indexDigest} not found in repo ${other}`,
        });
        assert.strictEqual(read(dir, "prod"), prod);
    });

    describe("refusals leave every file and tag as it was", () => {
        let dir: string;
        let o: { stacksDir: string; repoRoot: string };
        const before: Record<string, string> = {};
        beforeEach(() => {
            dir = makeRepo(repo, img0.indexDigest);
            o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
            for (const s of ["dev", "staging", "prod"]) before[s] = read(dir, s);
        });
        const unchanged = () => {
            for (const s of ["dev", "staging", "prod"]) assert.strictEqual(read(dir, s), before[s], s);
        };

        it("path violation", async () => {
            writeDevOutputs(dir, repo, img1.indexDigest, "1.4.1", img1.platformDigests);
            await assert.rejects(promote({ ...o, from: "dev", to: "prod" }, deps), {
                message: `stack "prod" accepts promotions only from "staging" (image-release:promoteFrom); refusing to promote from "dev"`,
            });
            unchanged();
        });

        it("missing platform", async () => {
            writeDevOutputs(dir, repo, amdOnly.indexDigest, "1.4.1", amdOnly.platformDigests);
            await assert.rejects(promote({ ...o, from: "dev", to: "staging", retag: true }, deps), {
                message: `${repo}@${amdOnly.indexDigest} lacks required platform(s) linux/arm64 (has linux/amd64)`,
            });
            unchanged();
        });

        it("missing digest", async () => {
            const ghost = `sha256:${"9".repeat(64)}`;
            writeDevOutputs(dir, repo, ghost, "1.4.1", img1.platformDigests);
            await assert.rejects(promote({ ...o, from: "dev", to: "staging" }, deps), {
                message: `digest ${ghost} not found in repo ${repo}`,
            });
            unchanged();
        });

        it("no source digest at all", async () => {
            await assert.rejects(promote({ ...o, from: "dev", to: "staging" }, deps), {
                message: `stack "dev" has no image-release:digest and no ${path.join(dir, ".image-release", "outputs", "dev.json")}; run \`image-release release\` first`,
            });
            unchanged();
        });

        it("race: another writer changed the target between read and write", async () => {
            writeDevOutputs(dir, repo, img1.indexDigest, "1.4.1", img1.platformDigests);
            const file = path.join(dir, "stacks", "Pulumi.staging.yaml");
            const other = before.staging.replace("1.4.0", "1.4.0-other");
            const tagBefore = await client.headManifest(repo, "staging");
            await assert.rejects(
                promote(
                    {
                        ...o,
                        from: "dev",
                        to: "staging",
                        retag: true,
                        beforeRename: () => fs.writeFileSync(file, other),
                    },
                    deps,
                ),
                (e: Error) => {
                    assert.match(
                        e.message,
                        new RegExp(
                            `^${file.replace(/[.]/g, "\\.")} changed since it was read \\(sha256 [0-9a-f]{12} -> [0-9a-f]{12}\\); refusing to overwrite another writer's change$`,
                        ),
                    );
                    return true;
                },
            );
            assert.strictEqual(fs.readFileSync(file, "utf8"), other);
            assert.deepStrictEqual(await client.headManifest(repo, "staging"), tagBefore);
            // The temp file of the atomic write is gone too.
            assert.deepStrictEqual(fs.readdirSync(path.join(dir, "stacks")).sort(), [
                "Pulumi.dev.yaml",
                "Pulumi.prod.yaml",
                "Pulumi.staging.yaml",
            ]);
        });

        it("--git when the branch already exists: refused before any write or retag", async () => {
            writeDevOutputs(dir, repo, img1.indexDigest, "1.4.1", img1.platformDigests);
            const branch = `promote/staging-1.4.1-${img1.indexDigest.slice(7, 19)}`;
            git(dir, ["branch", branch]);
            const tagBefore = await client.headManifest(repo, "staging");
            await assert.rejects(
                promote({ ...o, from: "dev", to: "staging", retag: true, git: true }, deps),
                {
                    message: `--git: branch ${branch} already exists; delete it or merge it first`,
                },
            );
            unchanged();
            assert.deepStrictEqual(await client.headManifest(repo, "staging"), tagBefore);
            assert.strictEqual(git(dir, ["rev-parse", "--abbrev-ref", "HEAD"]).trim(), "main");
        });

        it("unreachable registry", async () => {
            const port = await closedPort();
            const dead = `127.0.0.1:${port}/image-release/hello`;
            for (const s of ["dev", "staging"]) {
                fs.writeFileSync(
                    path.join(dir, "stacks", `Pulumi.${s}.yaml`),
                    before[s].split(repo).join(dead),
                );
                before[s] = read(dir, s);
            }
            writeDevOutputs(dir, dead, img1.indexDigest, "1.4.1", img1.platformDigests);
            await assert.rejects(promote({ ...o, from: "dev", to: "staging" }, deps), (e: Error) => {
                assert.match(
                    e.message,
                    new RegExp(`^registry 127\\.0\\.0\\.1:${port} unreachable after 1 attempts: `),
                );
                return true;
            });
            unchanged();
        });
    });
});
