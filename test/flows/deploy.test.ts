import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { deploy, DeployResult } from "../../src/flows";
import { ZERO_SHA } from "../../src/stackconfig";
import {
    D,
    deployRepo,
    editStack,
    git,
    pinLine,
    setPin,
    stackFilePath,
    threeStackMerge,
} from "../fixtures/deploy/repo";
import { deployOptions, fakeEngine, LOGGED_IN } from "../fixtures/deploy/fakes";

const P = pinLine;
const outcomes = (r: DeployResult) => r.stacks.map((s) => [s.stack, s.kind, s.outcome, s.reason]);

const DEPLOYED = (stack: string, pin: string) => [
    stack,
    "promotion",
    "deployed",
    `pulumi up succeeded; check passed (${pin})`,
];

describe("deploy: a merge's stacks in promotion order, up, check, rollback on failure", () => {
    it("ups and checks staging before prod-eu and prod-us; the same merge again changes nothing", async () => {
        const m = threeStackMerge();
        const e = fakeEngine(m.dir);
        const first = await deploy(deployOptions(m.dir, m.from, m.to), e.deps);
        assert.deepStrictEqual(e.calls, [
            "up staging true",
            "check staging rollback true",
            "up prod-eu true",
            "check prod-eu rollback true",
            "up prod-us true",
            "check prod-us rollback true",
        ]);
        assert.deepStrictEqual(outcomes(first), [
            DEPLOYED("staging", P("1.1.0", "1")),
            DEPLOYED("prod-eu", P("1.0.1", "2")),
            DEPLOYED("prod-us", P("1.0.1", "2")),
        ]);
        assert.strictEqual(first.ok, true);
        e.calls.length = 0;
        const again = await deploy(deployOptions(m.dir, m.from, m.to), e.deps);
        assert.deepStrictEqual(e.calls, []);
        assert.deepStrictEqual(
            outcomes(again).map((x) => x[3]),
            [
                `already runs ${P("1.1.0", "1")}; nothing to deploy`,
                `already runs ${P("1.0.1", "2")}; nothing to deploy`,
                `already runs ${P("1.0.1", "2")}; nothing to deploy`,
            ],
        );
    });

    it("leaves a stack no commit of the range touched alone", async () => {
        const r = deployRepo();
        setPin(r.dir, "prod-us", D("1"), "1.1.0");
        const to = r.commit("Promote 1.1.0 to prod-us");
        const e = fakeEngine(r.dir);
        const res = await deploy(deployOptions(r.dir, r.first, to), e.deps);
        assert.deepStrictEqual(e.calls, ["up prod-us true", "check prod-us rollback true"]);
        assert.deepStrictEqual(
            res.stacks.map((s) => s.stack),
            ["prod-us"],
        );
    });

    it("--stack (a pipeline's job per stack): only the named stacks of the range, in promotion order; one the range left alone deploys nothing", async () => {
        const m = threeStackMerge();
        const e = fakeEngine(m.dir);
        const rows: [string[], string[], string[][]][] = [
            [
                ["staging"],
                ["up staging true", "check staging rollback true"],
                [DEPLOYED("staging", P("1.1.0", "1"))],
            ],
            [
                ["prod-us", "prod-eu"],
                [
                    "up prod-eu true",
                    "check prod-eu rollback true",
                    "up prod-us true",
                    "check prod-us rollback true",
                ],
                [DEPLOYED("prod-eu", P("1.0.1", "2")), DEPLOYED("prod-us", P("1.0.1", "2"))],
            ],
            [
                ["prod-eu"],
                [],
                [["prod-eu", "promotion", "skipped", `already runs ${P("1.0.1", "2")}; nothing to deploy`]],
            ],
        ];
        for (const [only, calls, stacks] of rows) {
            e.calls.length = 0;
            const res = await deploy(deployOptions(m.dir, m.from, m.to, { only }), e.deps);
            assert.deepStrictEqual([e.calls, outcomes(res), res.only], [calls, stacks, only], only.join());
        }
        const r = deployRepo();
        setPin(r.dir, "prod-us", D("1"), "1.1.0");
        const to = r.commit("Promote 1.1.0 to prod-us");
        const none = await deploy(deployOptions(r.dir, r.first, to, { only: ["staging"] }), e.deps);
        assert.deepStrictEqual([none.ok, none.stacks], [true, []]);
    });

    it("a failed check: the rollback runs (check --on-failure), later stacks are not deployed, the result names the stack and reason", async () => {
        const m = threeStackMerge();
        const e = fakeEngine(m.dir, { failing: ["prod-eu"] });
        const res = await deploy(deployOptions(m.dir, m.from, m.to), e.deps);
        assert.deepStrictEqual(e.calls, [
            "up staging true",
            "check staging rollback true",
            "up prod-eu true",
            "check prod-eu rollback true",
        ]);
        const reason = "check failed: rollout: Deployment/hello: 0 of 1 replicas ready (after 300s)";
        assert.deepStrictEqual([res.ok, res.failed], [false, { stack: "prod-eu", reason }]);
        assert.deepStrictEqual(outcomes(res).slice(1), [
            ["prod-eu", "promotion", "failed", reason],
            ["prod-us", "promotion", "not deployed", '"prod-eu" failed before it'],
        ]);
        assert.deepStrictEqual(res.stacks[1].check?.autoRollback, {
            skipped: "nothing verified to roll back to",
        });
    });

    it("a failed up is checked too (with --on-failure reject as given), so the rollback judges what it left", async () => {
        const r = deployRepo();
        setPin(r.dir, "staging", D("1"), "1.1.0");
        const to = r.commit("Promote 1.1.0 to staging");
        const e = fakeEngine(r.dir, { upFails: ["staging"], failing: ["staging"] });
        const res = await deploy(deployOptions(r.dir, r.first, to, { onFailure: "reject" }), e.deps);
        assert.deepStrictEqual(e.calls, ["up staging true", "check staging reject true"]);
        assert.deepStrictEqual(res.failed, {
            stack: "staging",
            reason: "pulumi up failed: updating failed error: Deployment hello: timed out",
        });
    });

    it("a rollback PR whose pin already runs (the automatic rollback's up ran it) is a no-op, saying so", async () => {
        const r = deployRepo();
        setPin(r.dir, "staging", D("1"), "1.1.0");
        const promoted = r.commit("Promote 1.1.0 to staging");
        const e = fakeEngine(r.dir);
        await deploy(deployOptions(r.dir, r.first, promoted), e.deps);
        // check --on-failure rollback ran `up` from its branch: staging runs 1.0.0 again, main still pins 1.1.0.
        e.running.staging = { hello: D("0") };
        git(r.dir, ["revert", "--no-edit", promoted]);
        const merged = git(r.dir, ["rev-parse", "HEAD"]).trim();
        e.calls.length = 0;
        const res = await deploy(deployOptions(r.dir, promoted, merged), e.deps);
        assert.deepStrictEqual(e.calls, []);
        assert.deepStrictEqual(outcomes(res), [
            [
                "staging",
                "rollback",
                "skipped",
                `already runs ${P("1.0.0", "0")} (rolled back before this merge, e.g. by check --on-failure rollback: its PR merged); nothing to deploy`,
            ],
        ]);
    });

    it("skips a pin main no longer holds (a later merge changed it), saying so", async () => {
        const r = deployRepo();
        setPin(r.dir, "staging", D("1"), "1.1.0");
        const a = r.commit("Promote 1.1.0 to staging");
        setPin(r.dir, "staging", D("2"), "1.2.0");
        r.commit("Promote 1.2.0 to staging");
        const e = fakeEngine(r.dir);
        const res = await deploy(deployOptions(r.dir, r.first, a), e.deps);
        assert.deepStrictEqual(e.calls, []);
        assert.deepStrictEqual(outcomes(res), [
            [
                "staging",
                "promotion",
                "skipped",
                `main no longer holds this pin: a later merge changed it (main has ${P("1.2.0", "2")}); that merge's deploy runs it`,
            ],
        ]);
    });

    it("a re-run of an older pipeline in a clone: main is origin/HEAD, so a pin a later merge replaced is skipped", async () => {
        const r = deployRepo();
        setPin(r.dir, "staging", D("1"), "1.1.0");
        const a = r.commit("Promote 1.1.0 to staging");
        const clone = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-clone-"));
        git(clone, ["clone", "-q", r.dir, "."]);
        git(clone, ["checkout", "-q", "--detach", a]);
        setPin(r.dir, "staging", D("2"), "1.2.0");
        r.commit("Promote 1.2.0 to staging");
        git(clone, ["fetch", "-q", "origin"]);
        const e = fakeEngine(clone);
        const res = await deploy(deployOptions(clone, r.first, a), e.deps);
        assert.deepStrictEqual(e.calls, []);
        assert.deepStrictEqual(
            res.stacks.map((s) => s.reason),
            [
                `origin/HEAD no longer holds this pin: a later merge changed it (origin/HEAD has ${P("1.2.0", "2")}); that merge's deploy runs it`,
            ],
        );
    });

    it("--dry-run previews each stack it would deploy and runs nothing", async () => {
        const m = threeStackMerge();
        const e = fakeEngine(m.dir);
        const res = await deploy(
            deployOptions(m.dir, m.from, m.to, { dryRun: true, verifierKey: undefined }),
            e.deps,
        );
        assert.deepStrictEqual(e.calls, ["preview staging", "preview prod-eu", "preview prod-us"]);
        assert.deepStrictEqual(outcomes(res)[0], [
            "staging",
            "promotion",
            "would deploy",
            `pulumi up and check of ${P("1.1.0", "1")}; preview: 1 update, 3 same`,
        ]);
    });

    it("a first push (from the all-zero SHA) with --allow-config-changes: every stack, in promotion order; then a no-op", async () => {
        const r = deployRepo();
        const e = fakeEngine(r.dir);
        const o = deployOptions(r.dir, ZERO_SHA, r.first, { allowConfigChanges: true });
        const res = await deploy(o, e.deps);
        assert.deepStrictEqual(
            res.stacks.map((s) => [s.stack, s.change, s.kind, s.outcome]),
            [
                ["staging", "new", "config", "deployed"],
                ["prod-eu", "new", "config", "deployed"],
                ["prod-us", "new", "config", "deployed"],
            ],
        );
        e.calls.length = 0;
        const again = await deploy(o, e.deps);
        assert.deepStrictEqual(e.calls, ["preview staging", "preview prod-eu", "preview prod-us"]);
        assert.deepStrictEqual(
            again.stacks.map((s) => s.reason),
            ["staging", "prod-eu", "prod-us"].map(
                () => `already runs ${P("1.0.0", "0")} and its preview changes nothing`,
            ),
        );
    });
});

describe("deploy refuses bad input before anything runs, and changes nothing", () => {
    const missing = "1234567890abcdef1234567890abcdef12345678";
    const rows: {
        name: string;
        merge: (r: ReturnType<typeof deployRepo>) => {
            from: string;
            to: string;
            env?: Record<string, string>;
        };
        extra?: Parameters<typeof deployOptions>[3];
        message: (r: ReturnType<typeof deployRepo>) => string;
    }[] = [
        {
            name: "a commit that does not exist",
            merge: (r) => ({ from: missing, to: r.first }),
            message: (r) =>
                `--from "${missing}" is not a commit of ${r.dir} (a force-push removed it, or a shallow clone lacks it: fetch the whole history, e.g. actions/checkout's fetch-depth: 0)`,
        },
        {
            name: "a change beyond the pin, without --allow-config-changes",
            merge: (r) => {
                setPin(r.dir, "staging", D("1"), "1.1.0");
                editStack(r.dir, "staging", "namespace: staging", "namespace: qa");
                editStack(r.dir, "prod-us", "namespace: prod-us", "namespace: us");
                return { from: r.first, to: r.commit("Move namespaces") };
            },
            message: () =>
                [
                    "stack files changed beyond their pins:",
                    "- stacks/Pulumi.staging.yaml: image-release:namespace",
                    "- stacks/Pulumi.prod-us.yaml: image-release:namespace",
                    "deploy deploys pins only (promotions, rollbacks): review these keys and run it with --allow-config-changes; nothing deployed",
                ].join("\n"),
        },
        {
            name: "a first push without --allow-config-changes",
            merge: (r) => ({ from: ZERO_SHA, to: r.first }),
            message: () =>
                [
                    "stack files changed beyond their pins:",
                    ...["staging", "prod-eu", "prod-us"].map(
                        (s) =>
                            `- stacks/Pulumi.${s}.yaml (new): image-release:namespace, image-release:promoteFrom, image-release:repository`,
                    ),
                    "deploy deploys pins only (promotions, rollbacks): review these keys and run it with --allow-config-changes; nothing deployed",
                ].join("\n"),
        },
        {
            name: "a digest pinned new into staging and prod-eu in one merge",
            merge: (r) => {
                setPin(r.dir, "staging", D("3"), "1.3.0");
                setPin(r.dir, "prod-eu", D("3"), "1.3.0");
                return { from: r.first, to: r.commit("Both") };
            },
            message: (r) =>
                `promotion order conflict in ${r.first.slice(0, 12)}..${git(r.dir, ["rev-parse", "HEAD"]).slice(0, 12)}:\n- the range pins ${D("3")} into "prod-eu" and, new, into "staging", which "prod-eu" promotes from: "prod-eu" would run it before "staging" ran and checked it; merge the change to "staging" first\nnothing deployed`,
        },
        {
            name: "no verifier key",
            merge: (r) => {
                setPin(r.dir, "staging", D("1"), "1.1.0");
                return { from: r.first, to: r.commit("Promote") };
            },
            extra: { verifierKey: undefined },
            message: () =>
                "deploy checks each stack after its up and signs the evidence (and the rollback after a failure): set IMAGE_RELEASE_VERIFIER_KEY; nothing deployed",
        },
        {
            name: "no backend login and no passphrase",
            merge: (r) => {
                editStack(r.dir, "staging", "config:\n", "encryptionsalt: v1:abc\nconfig:\n");
                const from = r.commit("pulumi stack init staging");
                setPin(r.dir, "staging", D("1"), "1.1.0");
                return { from, to: r.commit("Promote"), env: { PULUMI_HOME: LOGGED_IN.PULUMI_HOME } };
            },
            message: () =>
                [
                    "no Pulumi backend: set PULUMI_BACKEND_URL or run `pulumi login <backend-url>`",
                    'no passphrase for the secrets of stack "staging" (stacks/Pulumi.staging.yaml: encryptionsalt): set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE',
                    "nothing deployed",
                ].join("\n"),
        },
        {
            name: "a passphrase file that does not exist",
            merge: (r) => {
                setPin(r.dir, "staging", D("1"), "1.1.0");
                const env = {
                    PULUMI_BACKEND_URL: "file:///var/tmp/state",
                    PULUMI_CONFIG_PASSPHRASE_FILE: "/nonexistent/pass",
                };
                return { from: r.first, to: r.commit("Promote"), env };
            },
            message: () => "PULUMI_CONFIG_PASSPHRASE_FILE=/nonexistent/pass: no such file\nnothing deployed",
        },
    ];
    for (const row of rows) {
        it(`refuses ${row.name}`, async () => {
            const r = deployRepo();
            const { from, to, env } = row.merge(r);
            const e = fakeEngine(r.dir);
            const files = fs
                .readdirSync(path.join(r.dir, "stacks"))
                .map((f) => fs.readFileSync(stackFilePath(r.dir, f.slice(7, -5)), "utf8"));
            const head = git(r.dir, ["rev-parse", "HEAD"]);
            await assert.rejects(
                deploy(deployOptions(r.dir, from, to, row.extra), { ...e.deps, ...(env ? { env } : {}) }),
                {
                    name: "Refusal",
                    message: row.message(r),
                },
            );
            assert.deepStrictEqual(e.calls, []);
            assert.deepStrictEqual(
                [
                    fs
                        .readdirSync(path.join(r.dir, "stacks"))
                        .map((f) => fs.readFileSync(stackFilePath(r.dir, f.slice(7, -5)), "utf8")),
                    git(r.dir, ["rev-parse", "HEAD"]),
                ],
                [files, head],
            );
        });
    }

    it("refuses a --stack that has no stack file at the range's end, naming it", async () => {
        const m = threeStackMerge();
        const e = fakeEngine(m.dir);
        await assert.rejects(
            deploy(deployOptions(m.dir, m.from, m.to, { only: ["staging", "qa", "prod"] }), e.deps),
            {
                message: `--stack "qa", "prod": no stacks/Pulumi.qa.yaml, stacks/Pulumi.prod.yaml at ${m.to.slice(0, 12)}; nothing deployed`,
            },
        );
        assert.deepStrictEqual(e.calls, []);
    });

    it("refuses a checkout that is not the range's end", async () => {
        const r = deployRepo();
        setPin(r.dir, "staging", D("1"), "1.1.0");
        const to = r.commit("Promote");
        fs.appendFileSync(stackFilePath(r.dir, "staging"), "# local edit\n");
        const e = fakeEngine(r.dir);
        await assert.rejects(deploy(deployOptions(r.dir, r.first, to, { main: to }), e.deps), {
            message: `the checkout in ${r.dir} is not what the range ends with: stacks/Pulumi.staging.yaml differ from ${to.slice(0, 12)}; check out --to (or main) first; nothing deployed`,
        });
        assert.deepStrictEqual(e.calls, []);
    });
});
