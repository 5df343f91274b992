import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { history, promote, rollback, run, status } from "../../src/cli";
import { RegistryClient } from "../../src/registry";
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
        const lines = fixtureText("Pulumi.staging.yaml", repo, d0).split("\n");
        assert.strictEqual(
            dry.diff,
            [
                "--- a/stacks/Pulumi.staging.yaml",
                "+++ b/stacks/Pulumi.staging.yaml",
                "@@ -1,17 +1,17 @@",
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
                promotedFrom: "rollback",
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
                promotedFrom: "rollback",
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

    it("never prints credentials, even in registry errors", async () => {
        const password = "local-only-password";
        const authed = new RegistryClient({
            credentials: { "127.0.0.1:5001": { username: "imagerelease", password: "wrong-" + password } },
            retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
        });
        const dir = makeRepo("127.0.0.1:5001/test/cli-auth", img0.indexDigest);
        let out = "";
        for (const args of [
            ["status"],
            ["status", "--json"],
            ["rollback", "--stack", "prod", "--to", img0.indexDigest],
        ]) {
            const code = await run(
                [...args, "--repo-root", dir],
                { out: (x) => (out += x), err: (x) => (out += x) },
                {
                    client: authed,
                },
            );
            assert.strictEqual(code, 1);
        }
        assert.ok(out.includes("authentication failed for 127.0.0.1:5001"), out);
        assert.ok(!out.includes(password), out);
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
