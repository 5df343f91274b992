import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { check, Proposal, propose, ProposeOptions } from "../../src/flows";
import { readPublicKeys } from "../../src/signing";
import { git } from "../fixtures/cli/repo";
import { testClient } from "../fixtures/cli/scenarios";
import { cluster, T0, VERIFIER, verifierKeyOf } from "../fixtures/deploy/evidence";
import { proposeRepo, ProposeRepo } from "../fixtures/deploy/proposeRepo";

const client = testClient();
const KEY_ID = readPublicKeys([path.join(VERIFIER, "verifier.pub")])[0].id;
const TARGETS = ["prod-eu", "prod-us"] as const;

const at = (s: number) => () => new Date(T0 + s * 1000);
const branchOf = (r: ProposeRepo, to: string) => `promote/${to}-1.5.0-${r.img1.indexDigest.slice(7, 19)}`;

/** The same line for prod-eu and prod-us, both from staging. */
const both = (f: (to: string) => Omit<Proposal, "from" | "to">): Proposal[] =>
    TARGETS.map((to) => ({ from: "staging", to, ...f(to) }));

function run(r: ProposeRepo, s: number, extra: Partial<ProposeOptions> = {}) {
    return propose({ ...r.o, verifierKey: verifierKeyOf("verifier"), ...extra }, { client, now: at(s) });
}

/** HEAD on main, main the one local branch, nothing uncommitted: the clone as the pipeline checked it out. */
function assertCloneRestored(r: ProposeRepo): void {
    assert.deepStrictEqual(
        [
            git(r.dir, ["symbolic-ref", "--short", "HEAD"]).trim(),
            git(r.dir, ["for-each-ref", "--format=%(refname:short)", "refs/heads/"]).trim(),
            git(r.dir, ["status", "--porcelain", "--", "stacks"]),
        ],
        ["main", "main", ""],
    );
}

interface Row {
    name: string;
    /** What happens before propose runs, with the repo; returns the options propose runs with. */
    before: (r: ProposeRepo) => Promise<Partial<ProposeOptions> | void>;
    /** Seconds after T0 at which propose runs. */
    now: number;
    proposals: (r: ProposeRepo) => Proposal[];
    /** The branches origin holds afterwards, besides main. */
    pushed: (r: ProposeRepo) => string[];
}

const proposed = (r: ProposeRepo) =>
    both((to) => ({
        branch: branchOf(r, to),
        bodyFile: `.image-release/pr/${branchOf(r, to)}.md`,
        pushed: true,
        outcome: "proposed",
        reason: `passed in staging and soaked 10m of 10m (key ${KEY_ID})`,
    }));

const soaked = async (r: ProposeRepo) => {
    await r.checkAt(0);
    await r.checkAt(600);
};

const ROWS: Row[] = [
    {
        name: "not verified: no check ran",
        before: async () => {},
        now: 0,
        proposals: (r) =>
            both(() => ({
                pushed: false,
                outcome: "not verified",
                reason: `no passing evidence for ${r.img1.indexDigest} from staging signed by ${KEY_ID}`,
            })),
        pushed: () => [],
    },
    {
        name: "waiting: the soak is not over, with the time it ends",
        before: async (r) => void (await r.checkAt(0)),
        now: 240,
        proposals: () =>
            both(() => ({
                pushed: false,
                outcome: "waiting",
                reason: "soak in staging ends at 2026-12-06T10:10:00.000Z (0s of 10m passed)",
            })),
        pushed: () => [],
    },
    {
        name: "waiting: the soak time passed but no check closed it",
        before: async (r) => void (await r.checkAt(0)),
        now: 700,
        proposals: () =>
            both(() => ({
                pushed: false,
                outcome: "waiting",
                reason: "soak in staging ended at 2026-12-06T10:10:00.000Z but no check recorded it (0s of 10m): run `image-release check --stack staging`",
            })),
        pushed: () => [],
    },
    {
        name: "proposes after the soak: prod-eu and prod-us, both from staging",
        before: soaked,
        now: 601,
        proposals: proposed,
        pushed: (r) => TARGETS.map((to) => branchOf(r, to)),
    },
    {
        name: "push failure: names the branch, the remote and git's reason; nothing pushed",
        before: async () => ({ pushOptions: ["merge_request.create"] }),
        now: 601,
        proposals: (r) =>
            both((to) => ({
                branch: branchOf(r, to),
                pushed: false,
                outcome: "failed",
                reason: `git push of ${branchOf(r, to)} to origin failed: fatal: the receiving end does not support push options; fatal: the remote end hung up unexpectedly`,
            })),
        pushed: () => [],
    },
];

describe("propose: the next promotion once the soak is over @integration", function () {
    this.timeout(60_000);
    const made: string[] = [];
    after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
    const repo = async (pushOptions = false) => {
        const r = await proposeRepo(client, pushOptions);
        made.push(r.dir, r.origin);
        return r;
    };

    for (const row of ROWS) {
        it(row.name, async () => {
            const r = await repo();
            // A row that fails the push still needs the soak over to get that far.
            const extra = (await row.before(r)) ?? {};
            if (extra.pushOptions !== undefined) await soaked(r);
            const result = await run(r, row.now, extra);
            assert.deepStrictEqual(result.proposals, row.proposals(r));
            assert.deepStrictEqual(
                r.remoteBranches().map((b) => b.split(" ")[0]),
                ["main", ...row.pushed(r)],
            );
            assertCloneRestored(r);
        });
    }

    it("each pushed branch holds one commit on main that changes only its stack file's pin; the PR body is written", async () => {
        const r = await repo();
        await soaked(r);
        await run(r, 601);
        for (const to of TARGETS) {
            const branch = branchOf(r, to);
            assert.deepStrictEqual(
                [
                    git(r.origin, ["rev-list", "--count", `main..${branch}`]).trim(),
                    git(r.origin, ["diff", "--name-only", `main..${branch}`]).trim(),
                    git(r.origin, ["show", `${branch}:stacks/Pulumi.${to}.yaml`]).includes(
                        `image-release:digest: ${r.img1.indexDigest}\n`,
                    ),
                ],
                ["1", `stacks/Pulumi.${to}.yaml`, true],
            );
            const body = fs.readFileSync(path.join(r.dir, ".image-release", "pr", `${branch}.md`), "utf8");
            assert.match(body, new RegExp(`^Promotes \`${to}\` to 1\\.5\\.0: \`staging\` → \`${to}\``));
        }
    });

    it("idempotent: a re-run finds each proposal on the remote and pushes nothing; a merged one is up to date", async () => {
        const r = await repo();
        await soaked(r);
        await run(r, 601);
        const before = r.remoteBranches();
        const again = await run(r, 3600);
        assert.deepStrictEqual(
            again.proposals,
            both((to) => ({
                branch: branchOf(r, to),
                pushed: false,
                outcome: "already proposed",
                reason: `already proposed: branch ${branchOf(r, to)} on origin`,
            })),
        );
        assert.deepStrictEqual(r.remoteBranches(), before);
        // prod-eu's PR merged: main pins img1 there.
        git(r.dir, ["merge", "-q", "--ff-only", `origin/${branchOf(r, "prod-eu")}`]);
        const merged = await run(r, 3600);
        assert.deepStrictEqual(merged.proposals[0], {
            from: "staging",
            to: "prod-eu",
            pushed: false,
            outcome: "up to date",
            reason: `prod-eu already runs ${r.img1.indexDigest}`,
        });
        assert.strictEqual(merged.proposals[1].outcome, "already proposed");
        // A fresh clone, as each pipeline run has, finds them too (it fetches what it lacks).
        const clone = `${r.dir}-clone`;
        made.push(clone);
        git(r.dir, ["clone", "-q", r.origin, clone]);
        const fresh = await propose(
            { stacksDir: path.join(clone, "stacks"), repoRoot: clone, verifierKey: verifierKeyOf("verifier") },
            { client, now: at(3600) },
        );
        assert.deepStrictEqual(
            fresh.proposals.map((p) => [p.to, p.outcome, p.branch]),
            TARGETS.map((to) => [to, "already proposed", branchOf(r, to)]),
        );
    });

    it("--push-option reaches the remote as git push -o, once per push", async () => {
        const r = await repo(true);
        await soaked(r);
        const options = ["merge_request.create", "merge_request.target=main"];
        const result = await run(r, 601, { pushOptions: options });
        assert.deepStrictEqual(
            result.proposals.map((p) => p.outcome),
            ["proposed", "proposed"],
        );
        assert.strictEqual(
            fs.readFileSync(path.join(r.origin, "push-options.txt"), "utf8"),
            `${options.join("\n")}\n`.repeat(2),
        );
    });

    it("a failed check after the pass: not verified, with the failure's time", async () => {
        const r = await repo();
        await r.checkAt(0);
        // The next check sees another digest running: its failure replaces the pass.
        let t = T0 + 300_000;
        const failed = await check(
            { ...r.o, stack: "staging", verifierKey: verifierKeyOf("verifier") },
            {
                kubectl: cluster(() => `${r.repo}@${r.img0.indexDigest}`),
                client,
                now: () => t,
                sleep: async (ms) => void (t += ms),
            },
        );
        assert.strictEqual(failed.ok, false);
        const result = await run(r, 1000);
        assert.deepStrictEqual(
            result.proposals.map((p) => [p.outcome, p.reason]),
            TARGETS.map(() => [
                "not verified",
                `no passing evidence for ${r.img1.indexDigest} from staging signed by ${KEY_ID}; its last check failed at ${failed.evidence?.predicate.failedAt}`,
            ]),
        );
    });

    it("a remote that cannot be read fails each target, naming the remote and git's reason", async () => {
        const r = await repo();
        await soaked(r);
        const gone = path.join(r.origin, "missing");
        git(r.dir, ["remote", "set-url", "origin", gone]);
        const result = await run(r, 601);
        assert.deepStrictEqual(
            result.proposals.map((p) => [p.outcome, p.reason]),
            TARGETS.map(() => [
                "failed",
                `git ls-remote origin failed: fatal: '${gone}' does not appear to be a git repository; fatal: Could not read from remote repository.`,
            ]),
        );
        assertCloneRestored(r);
    });

    it("refuses bad input by name and changes nothing", async () => {
        const r = await repo();
        await soaked(r);
        const file = path.join(r.dir, "stacks", "Pulumi.prod-us.yaml");
        const cases: [() => void, Partial<ProposeOptions>, string][] = [
            [
                () => {},
                { remote: "upstream" },
                `--remote "upstream": no such remote in ${r.dir} (its remotes: origin); nothing proposed`,
            ],
            [
                () => fs.appendFileSync(file, "# local edit\n"),
                {},
                "--propose commits each pin change alone, on top of HEAD, but the stack files have uncommitted changes (M stacks/Pulumi.prod-us.yaml): commit or stash them; nothing proposed",
            ],
        ];
        for (const [setup, extra, message] of cases) {
            setup();
            await assert.rejects(run(r, 601, extra), { message });
        }
        assert.deepStrictEqual(
            r.remoteBranches().map((b) => b.split(" ")[0]),
            ["main"],
        );
        assert.ok(!fs.existsSync(path.join(r.dir, ".image-release")));
    });
});
