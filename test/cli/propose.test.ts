import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { readPublicKeys } from "../../src/signing";
import { runIn } from "../helpers/cli";
import { git } from "../fixtures/cli/repo";
import { testClient } from "../fixtures/cli/scenarios";
import { T0, VERIFIER } from "../fixtures/deploy/evidence";
import { fakeEngine } from "../fixtures/deploy/fakes";
import { proposeRepo, ProposeRepo } from "../fixtures/deploy/proposeRepo";

const client = testClient();
const KEY = path.join(VERIFIER, "verifier.key");
const KEY_ID = readPublicKeys([path.join(VERIFIER, "verifier.pub")])[0].id;
const TARGETS = ["prod-eu", "prod-us"];
const at = (s: number) => () => new Date(T0 + s * 1000);
const branchOf = (r: ProposeRepo, to: string) => `promote/${to}-1.5.0-${r.img1.indexDigest.slice(7, 19)}`;
const bodyOf = (r: ProposeRepo, to: string) => `.image-release/pr/${branchOf(r, to)}.md`;

describe("cli: deploy --propose @integration", function () {
    this.timeout(60_000);
    const saved = process.env.IMAGE_RELEASE_VERIFIER_KEY;
    const made: string[] = [];
    before(() => (process.env.IMAGE_RELEASE_VERIFIER_KEY = KEY));
    after(() => {
        if (saved === undefined) delete process.env.IMAGE_RELEASE_VERIFIER_KEY;
        else process.env.IMAGE_RELEASE_VERIFIER_KEY = saved;
        made.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
    });
    const repo = async (merge = false) => {
        const r = await proposeRepo(client, { merge });
        made.push(r.dir, r.origin);
        return r;
    };

    it("the scheduled job: waits with the soak's end, then proposes one line per target; exit 0 both times", async () => {
        const r = await repo();
        await r.checkAt(0);
        const args = ["deploy", "--propose", "--repo-root", r.dir];
        const waiting = await runIn(args, { client, now: at(60) });
        assert.deepStrictEqual(
            [waiting.code, waiting.stderr, waiting.stdout],
            [
                0,
                "",
                TARGETS.map(
                    (to) =>
                        `not proposing ${to} from staging: soak in staging ends at 2026-12-06T10:10:00.000Z (0s of 10m passed)\n`,
                ).join(""),
            ],
        );
        await r.checkAt(600);
        const done = await runIn(args, { client, now: at(601) });
        assert.deepStrictEqual(
            [done.code, done.stderr, done.stdout],
            [
                0,
                "",
                TARGETS.map(
                    (to) =>
                        `proposed ${to} from staging: branch ${branchOf(r, to)} pushed to origin; pull request text: ${bodyOf(r, to)}\n`,
                ).join(""),
            ],
        );
        const again = await runIn(args, { client, now: at(700) });
        assert.strictEqual(
            again.stdout,
            TARGETS.map(
                (to) =>
                    `not proposing ${to} from staging: already proposed: branch ${branchOf(r, to)} on origin\n`,
            ).join(""),
        );
    });

    it("--json: {proposals: [...]} with every field; a failed push exits 1 naming the target and the remote", async () => {
        const r = await repo();
        await r.checkAt(0);
        await r.checkAt(600);
        const json = await runIn(["deploy", "--propose", "--repo-root", r.dir, "--json"], {
            client,
            now: at(601),
        });
        assert.deepStrictEqual(
            [json.code, JSON.parse(json.stdout)],
            [
                0,
                {
                    proposals: TARGETS.map((to) => ({
                        from: "staging",
                        to,
                        branch: branchOf(r, to),
                        bodyFile: bodyOf(r, to),
                        pushed: true,
                        outcome: "proposed",
                        reason: `passed in staging and soaked 10m of 10m (key ${KEY_ID})`,
                    })),
                },
            ],
        );
        // A second remote that takes no push options: the push fails, the rest of the clone is untouched.
        const other = `${r.origin}-other`;
        made.push(other);
        git(r.dir, ["init", "-q", "--bare", other]);
        git(r.dir, ["remote", "add", "mirror", other]);
        const failed = await runIn(
            [
                "deploy",
                "--propose",
                "--remote",
                "mirror",
                "--push-option",
                "merge_request.create",
                "--repo-root",
                r.dir,
            ],
            { client, now: at(601) },
        );
        assert.deepStrictEqual(
            [failed.code, failed.stdout],
            [
                1,
                TARGETS.map(
                    (to) =>
                        `propose FAILED: ${to} from staging: git push of ${branchOf(r, to)} to mirror failed: fatal: the receiving end does not support push options; fatal: the remote end hung up unexpectedly\n`,
                ).join(""),
            ],
        );
    });

    it("deploy <range> --propose: deploys, then proposes from the stacks now verified; JSON adds proposals", async () => {
        const r = await repo(true);
        await r.checkAt(0);
        await r.checkAt(600);
        const e = fakeEngine(r.dir);
        const range = `${r.first}..${r.head}`;
        const res = await runIn(["deploy", range, "--propose", "--repo-root", r.dir, "--json"], {
            ...e.deps,
            client,
            now: at(601),
        });
        const out = JSON.parse(res.stdout) as {
            ok: boolean;
            stacks: { stack: string; outcome: string }[];
            proposals: unknown[];
        };
        assert.deepStrictEqual(
            [res.code, out.ok, out.stacks.map((s) => [s.stack, s.outcome]), out.proposals],
            [
                0,
                true,
                [["staging", "deployed"]],
                TARGETS.map((to) => ({
                    from: "staging",
                    to,
                    branch: branchOf(r, to),
                    bodyFile: bodyOf(r, to),
                    pushed: true,
                    outcome: "proposed",
                    reason: `passed in staging and soaked 10m of 10m (key ${KEY_ID})`,
                })),
            ],
        );
        assert.deepStrictEqual(e.calls, ["up staging true", "check staging rollback true"]);
    });

    it("deploy <range> --propose after a failed deploy proposes nothing", async () => {
        const r = await repo(true);
        await r.checkAt(0);
        await r.checkAt(600);
        const e = fakeEngine(r.dir, { failing: ["staging"] });
        const args = ["deploy", `${r.first}..${r.head}`, "--propose", "--repo-root", r.dir];
        const res = await runIn(args, { ...e.deps, client, now: at(601) });
        assert.deepStrictEqual(
            [res.code, res.stdout.split("\n").slice(-3)],
            [
                1,
                [
                    "deploy FAILED: staging: check failed: rollout: Deployment/hello: 0 of 1 replicas ready (after 300s)",
                    "propose: nothing proposed: the deploy failed",
                    "",
                ],
            ],
        );
        const json = await runIn([...args, "--json"], { ...e.deps, client, now: at(601) });
        assert.deepStrictEqual(JSON.parse(json.stdout).proposals, []);
        assert.deepStrictEqual(
            r.remoteBranches().map((b) => b.split(" ")[0]),
            ["main"],
        );
    });

    const usage: [string, string[], string][] = [
        [
            "--push-option without --propose",
            ["a..b", "--push-option", "x"],
            "--push-option goes with --propose: it says where the proposal is pushed",
        ],
        [
            "--remote without --propose",
            ["a..b", "--remote", "origin"],
            "--remote goes with --propose: it says where the proposal is pushed",
        ],
        [
            "--propose with --dry-run",
            ["a..b", "--propose", "--dry-run"],
            "--propose pushes branches and --dry-run runs nothing: give one of them",
        ],
        ["an empty --remote", ["--propose", "--remote", ""], '--remote must not be empty (got "")'],
    ];
    for (const [name, args, stderr] of usage) {
        it(`refuses ${name}: exit 2`, async () => {
            const r = await runIn(["deploy", ...args]);
            assert.deepStrictEqual([r.code, r.stdout, r.stderr], [2, "", `image-release: ${stderr}\n`]);
        });
    }

    it("refuses an unknown --remote before the deploy runs: exit 1, nothing deployed", async () => {
        const r = await repo(true);
        const e = fakeEngine(r.dir);
        const res = await runIn(
            ["deploy", `${r.first}..${r.head}`, "--propose", "--remote", "upstream", "--repo-root", r.dir],
            { ...e.deps, client },
        );
        assert.deepStrictEqual(
            [res.code, res.stdout, res.stderr, e.calls],
            [
                1,
                "",
                `image-release: --remote "upstream": no such remote in ${r.dir} (its remotes: origin); nothing deployed or proposed\n`,
                [],
            ],
        );
    });
});
