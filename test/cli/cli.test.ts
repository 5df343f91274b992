import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import {
    history,
    mapLimit,
    pickRollbackTarget,
    promote,
    rollback,
    status,
    StackHistoryEntry,
} from "../../src/flows";
import { run } from "../../src/cli";
import { RegistryClient } from "../../src/registry";
import { startProxy } from "../fixtures/registry/proxy";
import { pushTestImage, TestImage } from "../fixtures/registry/testImage";
import { commitAll, fixtureText, git, makeRepo, writeDevOutputs } from "../fixtures/cli/repo";
import { randomBytes } from "crypto";

const BIN = path.join(__dirname, "..", "..", "bin", "image-release.js");
const client = new RegistryClient({
    retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
    timeoutMs: 5000,
});
const deps = { client };

function uniqueRepo(): string {
    return `127.0.0.1:5000/test/cli-${randomBytes(4).toString("hex")}`;
}

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile("node", [BIN, ...args], (err, stdout, stderr) =>
            resolve({ code: err ? (err.code as number) : 0, stdout, stderr }),
        );
    });
}

function read(dir: string, stack: string): string {
    return fs.readFileSync(path.join(dir, "stacks", `Pulumi.${stack}.yaml`), "utf8");
}

/** The fixture text with exactly the pin values replaced: everything else must be byte-identical. */
function expected(
    stack: string,
    repo: string,
    d0: string,
    pin: { digest: string; version: string; gitSha: string; promotedFrom: string },
): string {
    const from = stack === "prod" ? "staging" : "dev";
    return fixtureText(`Pulumi.${stack}.yaml`, repo, d0)
        .replace(`digest: ${d0}`, `digest: ${pin.digest}`)
        .replace("version: 1.4.0", `version: ${pin.version}`)
        .replace("gitSha: aaaaaaa", `gitSha: ${pin.gitSha}`)
        .replace(`promotedFrom: ${from}`, `promotedFrom: ${pin.promotedFrom}`);
}

async function closedPort(): Promise<number> {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    return port;
}

describe("cli @integration", () => {
    let repo: string;
    let img0: TestImage;
    let img1: TestImage;
    let amdOnly: TestImage;
    const savedEnv = { ...process.env };

    before(async () => {
        repo = uniqueRepo();
        img0 = await pushTestImage(client, repo, "cli-zero");
        img1 = await pushTestImage(client, repo, "cli-one");
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
        const sh = d1.slice(0, 19);
        const human = await runCli(["status", "--repo-root", dir]);
        assert.strictEqual(human.code, 0);
        assert.strictEqual(
            human.stdout,
            [
                "STACK    VERSION  DIGEST               CHANNEL  CHANNEL->            IN REGISTRY  DRIFT",
                `dev      1.4.1    ${sh}  dev      -                    yes          DRIFT`,
                `prod     1.4.1    ${sh}  prod     -                    yes          DRIFT`,
                `staging  1.4.1    ${sh}  staging  ${sh}  yes          no`,
                "",
            ].join("\n"),
        );
        const json = await runCli(["status", "--repo-root", dir, "--json"]);
        assert.strictEqual(json.stdout, JSON.stringify(want, null, 2) + "\n");

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

    it("rollback --git after promote --git: its own rollback/ branch, and rolling back a rollback", async () => {
        const d0 = img0.indexDigest;
        const d1 = img1.indexDigest;
        const dir = makeRepo(repo, d0);
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        const initial = git(dir, ["rev-parse", "HEAD"]).trim();
        writeDevOutputs(dir, repo, d1, "1.4.1", img1.platformDigests);
        const branch = () => git(dir, ["rev-parse", "--abbrev-ref", "HEAD"]).trim();
        const lastMessage = () => git(dir, ["log", "-1", "--format=%B"]);
        const message = (title: string, v: string, d: string, prev: string, restores: string) =>
            [
                title,
                "",
                "from: staging",
                "to: prod",
                `version: ${v}`,
                `digest: ${d}`,
                "platforms: linux/amd64, linux/arm64",
                `previous digest: ${prev}`,
                `rollback: restores the pin of commit ${restores}`,
                "",
                "",
            ].join("\n");
        const prodPin = (digest: string, version: string, gitSha: string) =>
            expected("prod", repo, d0, { digest, version, gitSha, promotedFrom: "staging" });

        // Each --git step branches from the one before, as a reviewer stacking the PRs would.
        await promote({ ...o, from: "dev", to: "staging", git: true }, deps);
        const p = await promote({ ...o, from: "staging", to: "prod", git: true }, deps);
        assert.deepStrictEqual([p.branch, branch()], [`promote/prod-1.4.1-${d1.slice(7, 19)}`, p.branch]);
        const promoteCommit = git(dir, ["rev-parse", "HEAD"]).trim();

        // Default target: the newest digest in committed history that differs from the current pin.
        const rb = await rollback({ ...o, stack: "prod", git: true }, deps);
        assert.deepStrictEqual(
            [rb.digest, rb.branch, branch(), lastMessage(), read(dir, "prod")],
            [
                d0,
                `rollback/prod-1.4.0-${d0.slice(7, 19)}`,
                `rollback/prod-1.4.0-${d0.slice(7, 19)}`,
                message(`Roll back prod to 1.4.0 (${initial.slice(0, 7)})`, "1.4.0", d0, d1, initial),
                prodPin(d0, "1.4.0", "aaaaaaa"),
            ],
        );

        // Rolling back the rollback returns to the newer digest; promote/prod-1.4.1-… still exists and is
        // not in the way.
        const again = await rollback({ ...o, stack: "prod", git: true }, deps);
        assert.deepStrictEqual(
            [again.digest, again.branch, branch(), lastMessage(), read(dir, "prod")],
            [
                d1,
                `rollback/prod-1.4.1-${d1.slice(7, 19)}`,
                `rollback/prod-1.4.1-${d1.slice(7, 19)}`,
                message(
                    `Roll back prod to 1.4.1 (${promoteCommit.slice(0, 7)})`,
                    "1.4.1",
                    d1,
                    d0,
                    promoteCommit,
                ),
                prodPin(d1, "1.4.1", "bbbbbbb"),
            ],
        );
        assert.deepStrictEqual(git(dir, ["branch", "--list", "promote/prod-*"]).trim(), p.branch);

        // A third rollback would make rollback/prod-1.4.0-… a second time: a real duplicate, refused.
        const prodBefore = read(dir, "prod");
        await assert.rejects(rollback({ ...o, stack: "prod", git: true }, deps), {
            message: `--git: branch rollback/prod-1.4.0-${d0.slice(7, 19)} already exists; delete it or merge it first`,
        });
        assert.deepStrictEqual([read(dir, "prod"), branch()], [prodBefore, again.branch]);
    });

    it("rollback keeps the restored pin's promotedFrom, and removes it when that pin had none", async () => {
        const d0 = img0.indexDigest;
        const d1 = img1.indexDigest;
        const dir = makeRepo(repo, d0);
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        const file = path.join(dir, "stacks", "Pulumi.prod.yaml");
        const fixture = read(dir, "prod");
        // A pin hand-promoted from "canary", then one written without any promotedFrom.
        fs.writeFileSync(file, fixture.replace("promotedFrom: staging", "promotedFrom: canary"));
        commitAll(dir, "prod from canary", 2);
        const noOrigin = fixture.replace(d0, d1).replace("    image-release:promotedFrom: staging\n", "");
        fs.writeFileSync(file, noOrigin);
        const c3 = commitAll(dir, "prod d1, no origin", 3);
        const toCanary = await rollback({ ...o, stack: "prod" }, deps);
        // The key comes back where it was: right after its sibling pin key, gitSha, in the file's indent.
        assert.deepStrictEqual(
            [toCanary.digest, read(dir, "prod")],
            [
                d0,
                noOrigin
                    .replace(d1, d0)
                    .replace(
                        "    image-release:gitSha: aaaaaaa\n",
                        "    image-release:gitSha: aaaaaaa\n    image-release:promotedFrom: canary\n",
                    ),
            ],
        );
        commitAll(dir, "roll back", 4);
        const back = await rollback({ ...o, stack: "prod" }, deps);
        assert.deepStrictEqual(
            [back.digest, back.commit, read(dir, "prod"), back.commitMessage.split("\n")[2]],
            [d1, c3, noOrigin, "from: -"],
        );
    });

    it("dev released into another repository: status checks it there and flags it, promote copies from there", async () => {
        const stackRepo = uniqueRepo();
        const released = uniqueRepo();
        const pinned = await pushTestImage(client, stackRepo, "cli-pinned");
        const rel = await pushTestImage(client, released, "cli-released");
        await client.applyTags(released, rel.indexDigest, ["2.0.0", "dev"]);
        await client.applyTags(stackRepo, pinned.indexDigest, ["staging", "prod"]);
        const dir = makeRepo(stackRepo, pinned.indexDigest);
        writeDevOutputs(dir, released, rel.indexDigest, "2.0.0", rel.platformDigests);
        const staging = read(dir, "staging");

        const warning = `dev released ${released} (.image-release/outputs/dev.json) but stacks/Pulumi.dev.yaml pins image-release:repository ${stackRepo}; promotions from dev copy its digest from ${released}`;
        const want = [
            {
                stack: "dev",
                version: "2.0.0",
                digest: rel.indexDigest,
                channel: "dev",
                channelDigest: rel.indexDigest,
                present: true,
                drift: false,
                releasedRepository: released,
                warning,
            },
            ...["prod", "staging"].map((stack) => ({
                stack,
                version: "1.4.0",
                digest: pinned.indexDigest,
                channel: stack,
                channelDigest: pinned.indexDigest,
                present: true,
                drift: false,
            })),
        ];
        assert.deepStrictEqual(
            await status({ stacksDir: path.join(dir, "stacks"), repoRoot: dir }, deps),
            want,
        );
        const sh = (d: string) => d.slice(0, 19);
        const human = await runCli(["status", "--repo-root", dir]);
        assert.deepStrictEqual(
            [human.code, human.stdout, human.stderr],
            [
                0,
                [
                    "STACK    VERSION  DIGEST               CHANNEL  CHANNEL->            IN REGISTRY  DRIFT",
                    `dev      2.0.0    ${sh(rel.indexDigest)}  dev      ${sh(rel.indexDigest)}  yes*         no`,
                    `prod     1.4.0    ${sh(pinned.indexDigest)}  prod     ${sh(pinned.indexDigest)}  yes          no`,
                    `staging  1.4.0    ${sh(pinned.indexDigest)}  staging  ${sh(pinned.indexDigest)}  yes          no`,
                    `* ${warning}; IN REGISTRY and DRIFT are for ${released}`,
                    "",
                ].join("\n"),
                "",
            ],
        );
        const json = await runCli(["status", "--repo-root", dir, "--json"]);
        assert.deepStrictEqual(
            [json.code, json.stdout, json.stderr],
            [0, JSON.stringify(want, null, 2) + "\n", ""],
        );

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

    it("status --concurrency takes an integer >= 1 only; a bad value exits 2 naming it", async () => {
        const dir = makeRepo(repo, img0.indexDigest);
        for (const bad of ["abc", "0", "-1", "1.5", "", "1e3"]) {
            let out = "";
            let err = "";
            const code = await run(
                ["status", "--repo-root", dir, `--concurrency=${bad}`],
                { out: (x) => (out += x), err: (x) => (err += x) },
                deps,
            );
            assert.deepStrictEqual(
                [code, out, err],
                [
                    2,
                    "",
                    `error: option '--concurrency <n>' argument '${bad}' is invalid. --concurrency must be an integer >= 1 (got "${bad}")\n`,
                ],
                bad,
            );
        }
        let out = "";
        assert.strictEqual(
            await run(
                ["status", "--repo-root", dir, "--concurrency", "1", "--json"],
                { out: (x) => (out += x), err: (x) => (out += x) },
                deps,
            ),
            0,
        );
        assert.deepStrictEqual(
            (JSON.parse(out) as { stack: string; present?: boolean }[]).map((r) => [r.stack, r.present]),
            [
                ["dev", undefined],
                ["prod", true],
                ["staging", true],
            ],
        );
    });

    it("never prints credentials, even in registry errors", async () => {
        const password = "local-only-password";
        const authed = new RegistryClient({
            credentials: { "127.0.0.1:5001": { username: "imagerelease", password: "wrong-" + password } },
            retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
        });
        const authRepo = "127.0.0.1:5001/test/cli-auth";
        const d0 = img0.indexDigest;
        const d1 = img1.indexDigest;
        const dir = makeRepo(authRepo, d0);
        // prod moves on to d1, so the default rollback (d0) really asks the registry.
        fs.writeFileSync(path.join(dir, "stacks", "Pulumi.prod.yaml"), read(dir, "prod").replace(d0, d1));
        commitAll(dir, "prod runs d1", 2);
        const auth = `authentication failed for 127.0.0.1:5001 (scope "repository:test/cli-auth:pull"): 401 Unauthorized`;
        const cell = `error: ${auth}`;
        const pad = " ".repeat(cell.length - "IN REGISTRY".length);
        const outputs: [number, string][] = [];
        for (const args of [["status"], ["status", "--json"], ["rollback", "--stack", "prod"]]) {
            let out = "";
            const code = await run(
                [...args, "--repo-root", dir],
                { out: (x) => (out += x), err: (x) => (out += x) },
                { client: authed },
            );
            outputs.push([code, out]);
        }
        const sh = (d: string) => d.slice(0, 19);
        assert.deepStrictEqual(outputs, [
            [
                1,
                [
                    `STACK    VERSION  DIGEST               CHANNEL  CHANNEL->  IN REGISTRY${pad}  DRIFT`,
                    `dev      -        -                    dev      -          ${cell}  no`,
                    `prod     1.4.0    ${sh(d1)}  prod     -          ${cell}  no`,
                    `staging  1.4.0    ${sh(d0)}  staging  -          ${cell}  no`,
                    "",
                ].join("\n"),
            ],
            [
                1,
                JSON.stringify(
                    [
                        { stack: "dev", channel: "dev", drift: false, error: auth },
                        {
                            stack: "prod",
                            version: "1.4.0",
                            digest: d1,
                            channel: "prod",
                            drift: false,
                            error: auth,
                        },
                        {
                            stack: "staging",
                            version: "1.4.0",
                            digest: d0,
                            channel: "staging",
                            drift: false,
                            error: auth,
                        },
                    ],
                    null,
                    2,
                ) + "\n",
            ],
            [1, `image-release: ${auth}\n`],
        ]);
        assert.ok(!outputs.some(([, out]) => out.includes(password)));
    });

    describe("refusals leave every file and tag as it was", () => {
        let deadPort = 0;
        // `before` is the name of the saved-files map below.
        globalThis.before(async () => {
            deadPort = await closedPort();
        });
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

        it("retag fails after the write: the file, the branch and the commit are put back", async () => {
            // Reads pass through; the manifest PUT of the retag fails, as a registry outage mid-promotion would.
            const proxy = await startProxy((req, res, forward) => {
                if (req.method === "PUT" && (req.url ?? "").includes("/manifests/")) {
                    res.writeHead(503, { "content-type": "application/json" });
                    res.end(JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "maintenance" }] }));
                } else {
                    forward();
                }
            });
            try {
                // The staging tag must really move, so it first points elsewhere.
                await client.retag(repo, img0.indexDigest, "staging");
                const via = repo.replace("127.0.0.1:5000", proxy.registry);
                for (const st of ["dev", "staging", "prod"]) {
                    const f = path.join(dir, "stacks", `Pulumi.${st}.yaml`);
                    fs.writeFileSync(f, before[st].split(repo).join(via));
                    before[st] = read(dir, st);
                }
                commitAll(dir, "Use the proxy", 2);
                const headBefore = git(dir, ["rev-parse", "HEAD"]).trim();
                writeDevOutputs(dir, via, img1.indexDigest, "1.4.1", img1.platformDigests);
                const tagBefore = await client.headManifest(repo, "staging");
                const res = await runCli([
                    "promote",
                    "--repo-root",
                    dir,
                    "--from",
                    "dev",
                    "--to",
                    "staging",
                    "--retag",
                    "--git",
                ]);
                assert.deepStrictEqual(
                    [res.code, res.stdout, res.stderr],
                    [
                        1,
                        "",
                        `image-release: registry ${proxy.registry} unreachable after 2 attempts: 503 Service Unavailable\n`,
                    ],
                );
                // The retag was really attempted, i.e. after the write and the commit, which were undone.
                assert.ok(
                    proxy.requests.some((q) => q.method === "PUT" && q.url.endsWith("/manifests/staging")),
                );
                unchanged();
                assert.deepStrictEqual(await client.headManifest(repo, "staging"), tagBefore);
                assert.deepStrictEqual(
                    [
                        git(dir, ["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
                        git(dir, ["rev-parse", "HEAD"]).trim(),
                        git(dir, ["branch", "--list", "promote/*"]),
                        git(dir, ["status", "--porcelain", "--", "stacks"]),
                    ],
                    ["main", headBefore, "", ""],
                );
            } finally {
                await proxy.close();
            }
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

        it("garbage-collected rollback target", async () => {
            const gcRepo = uniqueRepo();
            const a = await pushTestImage(client, gcRepo, "cli-gc-a");
            const b = await pushTestImage(client, gcRepo, "cli-gc-b");
            const gdir = makeRepo(gcRepo, a.indexDigest);
            const prod = path.join(gdir, "stacks", "Pulumi.prod.yaml");
            fs.writeFileSync(prod, fs.readFileSync(prod, "utf8").replace(a.indexDigest, b.indexDigest));
            commitAll(gdir, "Pin b", 2);
            const pinned = fs.readFileSync(prod, "utf8");
            await client.deleteManifest(gcRepo, a.indexDigest, { confirm: true });
            await assert.rejects(
                rollback({ stacksDir: path.join(gdir, "stacks"), repoRoot: gdir, stack: "prod" }, deps),
                {
                    message: `digest ${a.indexDigest} is no longer in ${gcRepo} (garbage-collected?); refusing to roll back to it`,
                },
            );
            assert.strictEqual(fs.readFileSync(prod, "utf8"), pinned);
        });

        it("rollback with nothing earlier, a digest typo, an unknown version", async () => {
            await assert.rejects(rollback({ ...o, stack: "prod" }, deps), {
                message: `stack "prod" has only 0 earlier digest(s) in git history; cannot go back 1`,
            });
            await assert.rejects(rollback({ ...o, stack: "prod", to: "sha256:abc" }, deps), {
                message: `--to "sha256:abc" is not a digest (sha256:<64 hex>)`,
            });
            await assert.rejects(rollback({ ...o, stack: "prod", to: "9.9.9" }, deps), {
                message: `version 9.9.9 never ran in stack "prod" (not in git history)`,
            });
            unchanged();
        });

        const cliRows: {
            name: string;
            args: (d: string) => string[];
            setup?: (d: string) => void;
            code: number;
            stderr: (d: string) => string;
        }[] = [
            {
                name: "bad stack name",
                args: (d) => ["history", "--repo-root", d, "--stack", "Prod!"],
                code: 1,
                stderr: () =>
                    `image-release: invalid stack name "Prod!": use lowercase letters, digits and dashes\n`,
            },
            {
                name: "unknown stack",
                args: (d) => ["rollback", "--repo-root", d, "--stack", "qa"],
                code: 1,
                stderr: (d) =>
                    `image-release: unknown stack "qa": no ${path.join(d, "stacks", "Pulumi.qa.yaml")} (known stacks: dev, prod, staging)\n`,
            },
            {
                name: "malformed YAML",
                setup: (d) =>
                    fs.writeFileSync(path.join(d, "stacks", "Pulumi.staging.yaml"), "config:\n  a: [\n"),
                args: (d) => ["status", "--repo-root", d],
                code: 1,
                stderr: (d) =>
                    `image-release: ${path.join(d, "stacks", "Pulumi.staging.yaml")}:3: malformed YAML: Flow sequence in block collection must be sufficiently indented and end with a ]\n`,
            },
            {
                name: "digest typo",
                args: (d) => ["rollback", "--repo-root", d, "--stack", "prod", "--to", "sha256:12345"],
                code: 1,
                stderr: () => `image-release: --to "sha256:12345" is not a digest (sha256:<64 hex>)\n`,
            },
            {
                name: "unreachable registry",
                setup: (d) => {
                    for (const st of ["dev", "staging", "prod"]) {
                        const f = path.join(d, "stacks", `Pulumi.${st}.yaml`);
                        fs.writeFileSync(
                            f,
                            fs.readFileSync(f, "utf8").split(repo).join(`127.0.0.1:${deadPort}/x/hello`),
                        );
                    }
                },
                args: (d) => {
                    writeDevOutputs(
                        d,
                        `127.0.0.1:${deadPort}/x/hello`,
                        img1.indexDigest,
                        "1.4.1",
                        img1.platformDigests,
                    );
                    return ["promote", "--repo-root", d, "--from", "dev", "--to", "staging"];
                },
                code: 1,
                stderr: () =>
                    `image-release: registry 127.0.0.1:${deadPort} unreachable after 2 attempts: ECONNREFUSED\n`,
            },
            {
                name: "usage error",
                args: (d) => ["promote", "--repo-root", d, "--from", "dev"],
                code: 2,
                stderr: () => `error: required option '--to <stack>' not specified\n`,
            },
        ];
        for (const r of cliRows) {
            it(`CLI: ${r.name}`, async () => {
                r.setup?.(dir);
                const res = await runCli(r.args(dir));
                assert.deepStrictEqual([res.code, res.stderr, res.stdout], [r.code, r.stderr(dir), ""]);
            });
        }
    });
});

describe("cli mapLimit", () => {
    for (const limit of [0, -1, 1.5, NaN]) {
        it(`refuses limit ${limit}`, async () => {
            await assert.rejects(
                mapLimit([1, 2], limit, (x) => Promise.resolve(x)),
                new RangeError(`mapLimit: limit must be an integer >= 1 (got ${limit})`),
            );
        });
    }
    it("runs every item with at most `limit` in flight, results in input order", async () => {
        let inFlight = 0;
        let peak = 0;
        const r = await mapLimit([30, 10, 20, 0, 5], 2, async (ms) => {
            peak = Math.max(peak, ++inFlight);
            await new Promise((res) => setTimeout(res, ms));
            inFlight--;
            return ms * 2;
        });
        assert.deepStrictEqual([r, peak], [[60, 20, 40, 0, 10], 2]);
    });
});

describe("cli rollback target (pure)", () => {
    const dA = `sha256:${"a".repeat(64)}`;
    const dB = `sha256:${"b".repeat(64)}`;
    const dC = `sha256:${"c".repeat(64)}`;
    const e = (n: number, digest: string, version: string): StackHistoryEntry => ({
        commit: String(n).repeat(40),
        shortCommit: String(n).repeat(7),
        date: `2024-01-0${n}T12:00:00.000Z`,
        author: "Release Bot",
        message: `commit ${n}`,
        digest,
        version,
    });
    // Newest first, as git log gives them; prod runs dA now and ran it before too.
    const entries = [e(4, dA, "1.3.0"), e(3, dB, "1.2.0"), e(2, dA, "1.3.0"), e(1, dC, "1.1.0")];
    const rows: { to?: string; want?: number; err?: string }[] = [
        { want: 3 },
        { to: "1", want: 3 },
        { to: "2", want: 1 },
        { to: "3", err: `stack "prod" has only 2 earlier digest(s) in git history; cannot go back 3` },
        { to: "0", err: "--to 0: steps must be at least 1" },
        { to: "1.1.0", want: 1 },
        { to: "1.2.0", want: 3 },
        {
            to: "1.3.0",
            err: `stack "prod" already runs 1.3.0 (${dA}); refusing to roll back to the current digest`,
        },
        { to: "9.9.9", err: `version 9.9.9 never ran in stack "prod" (not in git history)` },
        { to: dC, want: 1 },
        { to: dA, err: `stack "prod" already runs ${dA}; refusing to roll back to the current digest` },
        { to: "sha256:c0ffee", err: `--to "sha256:c0ffee" is not a digest (sha256:<64 hex>)` },
        {
            to: `sha256:${"d".repeat(64)}`,
            err: `digest sha256:${"d".repeat(64)} never ran in stack "prod" (not in git history)`,
        },
    ];
    for (const r of rows) {
        it(`--to ${r.to ?? "(default)"}`, () => {
            if (r.err !== undefined) {
                assert.throws(() => pickRollbackTarget("prod", dA, entries, r.to), { message: r.err });
            } else {
                assert.strictEqual(
                    pickRollbackTarget("prod", dA, entries, r.to).commit,
                    String(r.want).repeat(40),
                );
            }
        });
    }
});

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
                `(release notes unavailable: tag 1.4.1 not found in repo ${repo}; release it first)`,
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
