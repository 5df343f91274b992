import * as assert from "assert";
import * as path from "path";
import { runIn } from "../helpers/cli";
import { fakeEngine } from "../fixtures/deploy/fakes";
import { D, deployRepo, editStack, pinLine, setPin, threeStackMerge } from "../fixtures/deploy/repo";

const KEY = path.join(__dirname, "..", "fixtures", "verifier", "verifier.key");
const P = pinLine;

function merge() {
    const m = threeStackMerge();
    return { ...m, range: `${m.from.slice(0, 12)}..${m.to.slice(0, 12)}` };
}

describe("cli: deploy", () => {
    const saved = process.env.IMAGE_RELEASE_VERIFIER_KEY;
    before(() => (process.env.IMAGE_RELEASE_VERIFIER_KEY = KEY));
    after(() => {
        if (saved === undefined) delete process.env.IMAGE_RELEASE_VERIFIER_KEY;
        else process.env.IMAGE_RELEASE_VERIFIER_KEY = saved;
    });

    it("prints one line per stack in promotion order and a summary; the second run skips each, saying why", async () => {
        const m = merge();
        const e = fakeEngine(m.dir);
        const args = ["deploy", `${m.from}..${m.to}`, "--repo-root", m.dir];
        const r = await runIn(args, e.deps);
        assert.deepStrictEqual(
            [r.code, r.stderr, r.stdout],
            [
                0,
                "",
                [
                    `deploy ${m.range}: 3 stack file(s) changed, in promotion order`,
                    `staging (promotion): deployed: pulumi up succeeded; check passed (${P("1.1.0", "1")})`,
                    `prod-eu (promotion): deployed: pulumi up succeeded; check passed (${P("1.0.1", "2")})`,
                    `prod-us (promotion): deployed: pulumi up succeeded; check passed (${P("1.0.1", "2")})`,
                    "deploy: 3 deployed",
                    "",
                ].join("\n"),
            ],
        );
        const again = await runIn(["deploy", "--from", m.from, "--to", m.to, "--repo-root", m.dir], e.deps);
        assert.deepStrictEqual(
            [again.code, again.stdout],
            [
                0,
                [
                    `deploy ${m.range}: 3 stack file(s) changed, in promotion order`,
                    `staging (promotion): skipped: already runs ${P("1.1.0", "1")}; nothing to deploy`,
                    `prod-eu (promotion): skipped: already runs ${P("1.0.1", "2")}; nothing to deploy`,
                    `prod-us (promotion): skipped: already runs ${P("1.0.1", "2")}; nothing to deploy`,
                    "deploy: 3 skipped",
                    "",
                ].join("\n"),
            ],
        );
    });

    it("--stack, repeatable: a job per stack deploys its own; the header names the selection", async () => {
        const m = merge();
        const e = fakeEngine(m.dir);
        const base = ["deploy", `${m.from}..${m.to}`, "--repo-root", m.dir];
        const staging = await runIn([...base, "--stack", "staging"], e.deps);
        const prod = await runIn([...base, "--stack", "prod-us", "--stack", "prod-eu"], e.deps);
        assert.deepStrictEqual(
            [staging.code, staging.stdout, prod.code, prod.stdout, e.calls.filter((c) => c.startsWith("up"))],
            [
                0,
                [
                    `deploy ${m.range} (--stack staging): 1 stack file(s) changed, in promotion order`,
                    `staging (promotion): deployed: pulumi up succeeded; check passed (${P("1.1.0", "1")})`,
                    "deploy: 1 deployed",
                    "",
                ].join("\n"),
                0,
                [
                    `deploy ${m.range} (--stack prod-us, prod-eu): 2 stack file(s) changed, in promotion order`,
                    `prod-eu (promotion): deployed: pulumi up succeeded; check passed (${P("1.0.1", "2")})`,
                    `prod-us (promotion): deployed: pulumi up succeeded; check passed (${P("1.0.1", "2")})`,
                    "deploy: 2 deployed",
                    "",
                ].join("\n"),
                ["up staging true", "up prod-eu true", "up prod-us true"],
            ],
        );
    });

    it("exits 1 on a failed stack, naming it and the reason, with its checks and what the rollback did", async () => {
        const m = merge();
        const e = fakeEngine(m.dir, { failing: ["staging"] });
        const r = await runIn(["deploy", `${m.from}..${m.to}`, "--repo-root", m.dir], e.deps);
        const reason = "check failed: rollout: Deployment/hello: 0 of 1 replicas ready (after 300s)";
        assert.deepStrictEqual(
            [r.code, r.stdout],
            [
                1,
                [
                    `deploy ${m.range}: 3 stack file(s) changed, in promotion order`,
                    `staging (promotion): FAILED: ${reason}`,
                    "  stack staging: FAILED",
                    "  FAILED rollout (0.0s)",
                    "    - Deployment/hello: 0 of 1 replicas ready (after 300s)",
                    "  rollback: nothing verified to roll back to",
                    'prod-eu (promotion): not deployed: "staging" failed before it',
                    'prod-us (promotion): not deployed: "staging" failed before it',
                    `deploy FAILED: staging: ${reason}`,
                    "",
                ].join("\n"),
            ],
        );
    });

    it("--dry-run --json: the plan, each stack's pins, keys and preview", async () => {
        const r0 = deployRepo();
        setPin(r0.dir, "prod-us", D("1"), "1.1.0");
        editStack(r0.dir, "prod-us", "namespace: prod-us", "namespace: us");
        const to = r0.commit("prod-us: 1.1.0 in namespace us");
        const e = fakeEngine(r0.dir);
        const args = [
            "deploy",
            `${r0.first}..${to}`,
            "--repo-root",
            r0.dir,
            "--dry-run",
            "--allow-config-changes",
        ];
        const human = await runIn(args, e.deps);
        assert.deepStrictEqual(
            [human.code, human.stdout],
            [
                0,
                [
                    `deploy ${r0.first.slice(0, 12)}..${to.slice(0, 12)}: 1 stack file(s) changed, in promotion order (dry run: nothing runs)`,
                    `prod-us (config): would deploy: pulumi up and check of ${P("1.1.0", "1")}; preview: 1 update, 3 same`,
                    "  config keys: image-release:namespace",
                    "deploy: 1 would deploy",
                    "",
                ].join("\n"),
            ],
        );
        const json = await runIn([...args, "--json"], e.deps);
        assert.deepStrictEqual(JSON.parse(json.stdout), {
            from: r0.first,
            to,
            dryRun: true,
            ok: true,
            stacks: [
                {
                    stack: "prod-us",
                    file: "stacks/Pulumi.prod-us.yaml",
                    change: "changed",
                    kind: "config",
                    pins: [{ image: "hello", digest: D("1"), version: "1.1.0" }],
                    pinKeys: ["image-release:digest", "image-release:version"],
                    configKeys: ["image-release:namespace"],
                    outcome: "would deploy",
                    reason: `pulumi up and check of ${P("1.1.0", "1")}; preview: 1 update, 3 same`,
                    preview: { update: 1, same: 3 },
                },
            ],
        });
        assert.deepStrictEqual(e.calls, ["preview prod-us", "preview prod-us"]);
    });

    it("a range no stack file changed in says so", async () => {
        const r0 = deployRepo();
        const r = await runIn(
            ["deploy", `${r0.first}..${r0.first}`, "--repo-root", r0.dir],
            fakeEngine(r0.dir).deps,
        );
        assert.deepStrictEqual(
            [r.code, r.stdout],
            [
                0,
                `deploy ${r0.first.slice(0, 12)}..${r0.first.slice(0, 12)}: no stack file changed; nothing to deploy\n`,
            ],
        );
    });

    const usage: [string, string[], string][] = [
        [
            "no range",
            [],
            "give the merge's commit range: <from>..<to>, or --from <sha> --to <sha> (GitHub: --from ${{ github.event.before }} --to ${{ github.sha }}; GitLab: --from $CI_COMMIT_BEFORE_SHA --to $CI_COMMIT_SHA)",
        ],
        [
            "a range and --from",
            ["a..b", "--from", "a", "--to", "b"],
            "give the range once: a..b or --from/--to, not both",
        ],
        ["a three-dot range", ["a...b"], '"a...b" is not a commit range: expected <from>..<to>'],
        [
            "--from alone",
            ["--from", "a"],
            "--from and --to go together: the commit before the merge and the merged commit",
        ],
        [
            "an unknown --on-failure",
            ["a..b", "--on-failure", "pray"],
            '--on-failure "pray": expected rollback or reject',
        ],
        [
            "--stack with --propose alone (no range)",
            ["--propose", "--stack", "staging"],
            "--stack names the stacks of a range to deploy: give the range (--propose alone proposes from every stack)",
        ],
    ];
    for (const [name, args, stderr] of usage) {
        it(`refuses ${name}: exit 2`, async () => {
            const r = await runIn(["deploy", ...args]);
            assert.deepStrictEqual([r.code, r.stdout, r.stderr], [2, "", `image-release: ${stderr}\n`]);
        });
    }

    it("a refusal of the flow exits 1 with its text on stderr and nothing on stdout", async () => {
        const r0 = deployRepo();
        editStack(r0.dir, "staging", "namespace: staging", "namespace: qa");
        const to = r0.commit("qa");
        const e = fakeEngine(r0.dir);
        const r = await runIn(["deploy", `${r0.first}..${to}`, "--repo-root", r0.dir], e.deps);
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                1,
                "",
                "image-release: stack files changed beyond their pins:\n- stacks/Pulumi.staging.yaml: image-release:namespace\ndeploy deploys pins only (promotions, rollbacks): review these keys and run it with --allow-config-changes; nothing deployed\n",
            ],
        );
    });
});
