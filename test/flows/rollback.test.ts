import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { pickRollbackTarget, promote, rollback, StackHistoryEntry } from "../../src/flows";
import { BlobNotFoundError, RegistryClient } from "../../src/registry";
import { pushTestImage, TestImage } from "../fixtures/registry/testImage";
import {
    commitAll,
    expectedPin as expected,
    git,
    makeRepo,
    readStack as read,
    writeDevOutputs,
} from "../fixtures/cli/repo";
import { cliRepo as uniqueRepo, testClient, twoImages } from "../fixtures/cli/scenarios";

const client = testClient();
const deps = { client };

describe("rollback @integration", () => {
    let repo: string;
    let img0: TestImage;
    let img1: TestImage;

    before(async () => {
        ({ repo, img0, img1 } = await twoImages(client));
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

        it("a rollback target whose config blob was collected is refused as gone, not as a raw blob error", async () => {
            const gcRepo = uniqueRepo();
            const a = await pushTestImage(client, gcRepo, "cli-gc-blob-a");
            const b = await pushTestImage(client, gcRepo, "cli-gc-blob-b");
            const gdir = makeRepo(gcRepo, a.indexDigest);
            const prod = path.join(gdir, "stacks", "Pulumi.prod.yaml");
            fs.writeFileSync(prod, fs.readFileSync(prod, "utf8").replace(a.indexDigest, b.indexDigest));
            commitAll(gdir, "Pin b", 2);
            const pinned = fs.readFileSync(prod, "utf8");
            // The registry still serves a's index, but the config blob its check reads is gone.
            const collected = Object.create(client) as RegistryClient;
            collected.verify = (ref: string, platforms: string[]) =>
                ref.endsWith(a.indexDigest)
                    ? Promise.reject(new BlobNotFoundError(gcRepo, `sha256:${"c".repeat(64)}`))
                    : client.verify(ref, platforms);
            await assert.rejects(
                rollback(
                    { stacksDir: path.join(gdir, "stacks"), repoRoot: gdir, stack: "prod" },
                    { client: collected },
                ),
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
    });
});

describe("rollback target (pure)", () => {
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
