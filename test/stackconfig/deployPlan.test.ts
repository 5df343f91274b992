import * as assert from "assert";
import * as path from "path";
import { deployPlan, promotionOrder, readStackRange, stackKeyChanges, ZERO_SHA } from "../../src/stackconfig";
import { D, deployRepo, editStack, git, setPin, stackText } from "../fixtures/deploy/repo";
import { setStackText } from "../fixtures/sets/setRepo";
import { writeStack } from "../fixtures/sets/setRepo";

type Repo = ReturnType<typeof deployRepo>;

/** What a plan row shows: each stack in order, how its file changed, its changed keys and its pins. */
function planOf(dir: string, from: string, to: string) {
    const range = readStackRange(dir, path.join(dir, "stacks"), from, to);
    const plan = deployPlan(range.changes, range.atTo);
    return {
        stacks: plan.stacks.map((s) => [
            s.stack,
            s.change,
            s.keys.pin.join(" "),
            s.keys.other.join(" "),
            s.pins.map((p) => `${p.image}=${p.version ?? "-"}@${p.digest?.slice(7, 9) ?? "-"}`).join(" "),
        ]),
        conflicts: plan.conflicts,
    };
}

const PIN = "image-release:digest image-release:version";

describe("deploy plan: the stack files a merge's range changed, by the key table, in promotion order", () => {
    const rows: {
        name: string;
        merge: (r: Repo) => { from: string; to: string };
        stacks: string[][];
        conflicts?: string[];
    }[] = [
        {
            name: "a promotion into staging: one stack, pin keys only",
            merge: (r) => {
                setPin(r.dir, "staging", D("1"), "1.1.0");
                return { from: r.first, to: r.commit("Promote 1.1.0 to staging") };
            },
            stacks: [["staging", "changed", PIN, "", "hello=1.1.0@11"]],
        },
        {
            name: "a tree: staging first, then prod-eu and prod-us (both from staging), whatever the commit order",
            merge: (r) => {
                setPin(r.dir, "prod-us", D("1"), "1.1.0");
                setPin(r.dir, "prod-eu", D("1"), "1.1.0");
                r.commit("Promote 1.1.0 to prod");
                setPin(r.dir, "staging", D("2"), "1.2.0");
                return { from: r.first, to: r.commit("Promote 1.2.0 to staging") };
            },
            stacks: [
                ["staging", "changed", PIN, "", "hello=1.2.0@22"],
                ["prod-eu", "changed", PIN, "", "hello=1.1.0@11"],
                ["prod-us", "changed", PIN, "", "hello=1.1.0@11"],
            ],
        },
        {
            name: "a revert of a promotion (a rollback): the earlier pin again",
            merge: (r) => {
                setPin(r.dir, "prod-eu", D("1"), "1.1.0");
                const promoted = r.commit("Promote 1.1.0 to prod-eu");
                git(r.dir, ["revert", "--no-edit", promoted]);
                return { from: promoted, to: git(r.dir, ["rev-parse", "HEAD"]).trim() };
            },
            stacks: [["prod-eu", "changed", PIN, "", "hello=1.0.0@00"]],
        },
        {
            name: "a change undone inside the range: no stack",
            merge: (r) => {
                setPin(r.dir, "staging", D("1"), "1.1.0");
                r.commit("Promote");
                setPin(r.dir, "staging", D("0"), "1.0.0");
                return { from: r.first, to: r.commit("Undo") };
            },
            stacks: [],
        },
        {
            name: "config beside the pin: the other keys are listed",
            merge: (r) => {
                setPin(r.dir, "staging", D("1"), "1.1.0");
                editStack(r.dir, "staging", "namespace: staging", "namespace: staging-2");
                editStack(r.dir, "staging", "config:\n", "encryptionsalt: v1:abc\nconfig:\n");
                return { from: r.first, to: r.commit("Move staging") };
            },
            stacks: [["staging", "changed", PIN, "encryptionsalt image-release:namespace", "hello=1.1.0@11"]],
        },
        {
            name: "comments only: the stack is listed with no key changed",
            merge: (r) => {
                editStack(r.dir, "staging", "# staging runs", "# staging, our QA, runs");
                return { from: r.first, to: r.commit("Comment") };
            },
            stacks: [["staging", "changed", "", "", "hello=1.0.0@00"]],
        },
        {
            name: "a release set: each member's pin keys",
            merge: (r) => {
                const m = (c: string) => ({ digest: D(c), version: "2.0.0", gitSha: "bbbbbbb" });
                writeStack(r.dir, "staging", setStackText("staging", "127.0.0.1:5000/shop", m("a"), m("b")));
                const from = r.commit("staging pins a set");
                writeStack(r.dir, "staging", setStackText("staging", "127.0.0.1:5000/shop", m("c"), m("b")));
                return { from, to: r.commit("Promote api") };
            },
            stacks: [
                ["staging", "changed", "image-release:images.api.digest", "", "api=2.0.0@cc worker=2.0.0@bb"],
            ],
        },
        {
            name: "a first push (from the all-zero SHA): every stack file is new",
            merge: (r) => ({ from: ZERO_SHA, to: r.first }),
            stacks: ["staging", "prod-eu", "prod-us"].map((s) => [
                s,
                "new",
                "image-release:digest image-release:gitSha image-release:promotedFrom image-release:version",
                "image-release:namespace image-release:promoteFrom image-release:repository",
                "hello=1.0.0@00",
            ]),
        },
        {
            name: "a deleted stack file: every key it had is config",
            merge: (r) => {
                git(r.dir, ["rm", "-q", "stacks/Pulumi.prod-us.yaml"]);
                return { from: r.first, to: r.commit("Drop prod-us") };
            },
            stacks: [
                [
                    "prod-us",
                    "deleted",
                    "image-release:digest image-release:gitSha image-release:promotedFrom image-release:version",
                    "image-release:namespace image-release:promoteFrom image-release:repository",
                    "",
                ],
            ],
        },
        {
            name: "a conflict: one merge pins a new digest into staging and into prod-eu behind it",
            merge: (r) => {
                setPin(r.dir, "staging", D("3"), "1.3.0");
                setPin(r.dir, "prod-eu", D("3"), "1.3.0");
                return { from: r.first, to: r.commit("Both at once") };
            },
            stacks: [
                ["staging", "changed", PIN, "", "hello=1.3.0@33"],
                ["prod-eu", "changed", PIN, "", "hello=1.3.0@33"],
            ],
            conflicts: [
                `the range pins ${D("3")} into "prod-eu" and, new, into "staging", which "prod-eu" promotes from: "prod-eu" would run it before "staging" ran and checked it; merge the change to "staging" first`,
            ],
        },
        {
            name: "a conflict: promoteFrom makes a cycle",
            merge: (r) => {
                writeStack(r.dir, "dev", stackText("dev", "prod-eu", D("4"), "1.4.0"));
                setPin(r.dir, "prod-eu", D("1"), "1.1.0");
                return { from: r.first, to: r.commit("dev from prod-eu") };
            },
            stacks: [
                [
                    "dev",
                    "new",
                    PIN.replace(" ", " image-release:gitSha image-release:promotedFrom "),
                    "image-release:namespace image-release:promoteFrom image-release:repository",
                    "hello=1.4.0@44",
                ],
                ["prod-eu", "changed", PIN, "", "hello=1.1.0@11"],
            ],
            conflicts: [
                'image-release:promoteFrom makes a cycle (dev -> staging -> prod-eu -> dev, each promoting into the next): no promotion order puts "dev" after the stacks it promotes from',
                'image-release:promoteFrom makes a cycle (prod-eu -> dev -> staging -> prod-eu, each promoting into the next): no promotion order puts "prod-eu" after the stacks it promotes from',
            ],
        },
    ];
    for (const row of rows) {
        it(row.name, () => {
            const r = deployRepo();
            const { from, to } = row.merge(r);
            assert.deepStrictEqual(planOf(r.dir, from, to), {
                stacks: row.stacks,
                conflicts: row.conflicts ?? [],
            });
        });
    }

    it("refuses a commit that does not exist, naming it", () => {
        const r = deployRepo();
        const missing = "1234567890abcdef1234567890abcdef12345678";
        for (const [from, to, flag, bad] of [
            [missing, r.first, "--from", missing],
            [r.first, "nope", "--to", "nope"],
        ]) {
            assert.throws(() => readStackRange(r.dir, path.join(r.dir, "stacks"), from, to), {
                name: "CommitRangeError",
                message: `${flag} "${bad}" is not a commit of ${r.dir} (a force-push removed it, or a shallow clone lacks it: fetch the whole history, e.g. actions/checkout's fetch-depth: 0)`,
            });
        }
    });
});

describe("stackKeyChanges: pin or config, by the key table", () => {
    const cfg = (config: Record<string, unknown>, top: Record<string, unknown> = {}) => ({ config, top });
    const rows: [
        string,
        ReturnType<typeof cfg>,
        ReturnType<typeof cfg>,
        { pin: string[]; other: string[] },
    ][] = [
        [
            "a map written in another order is no change",
            cfg({ "image-release:checks": { a: "1", b: "2" } }),
            cfg({ "image-release:checks": { b: "2", a: "1" } }),
            { pin: [], other: [] },
        ],
        [
            "sourceRepository is a pin field",
            cfg({ "image-release:sourceRepository": "a" }),
            cfg({}),
            { pin: ["image-release:sourceRepository"], other: [] },
        ],
        [
            "another project's key is config",
            cfg({ "kubernetes:context": "a" }),
            cfg({ "kubernetes:context": "b" }),
            { pin: [], other: ["kubernetes:context"] },
        ],
        [
            "a set member added is config; a member's repository is config",
            cfg({ "image-release:images": { api: { digest: "x", repository: "r" } } }),
            cfg({
                "image-release:images": { api: { digest: "x", repository: "s" }, worker: { digest: "y" } },
            }),
            { pin: [], other: ["image-release:images.api.repository", "image-release:images.worker"] },
        ],
        [
            "secretsprovider beside config",
            cfg({}, { secretsprovider: "passphrase" }),
            cfg({}, {}),
            { pin: [], other: ["secretsprovider"] },
        ],
    ];
    for (const [name, before, after, expected] of rows) {
        it(name, () => assert.deepStrictEqual(stackKeyChanges(before, after), expected));
    }
});

describe("promotionOrder: a tree, not a chain", () => {
    const rows: [string, Record<string, string | undefined>, string[], string[]][] = [
        [
            "siblings in name order after their source",
            { staging: "dev", "prod-us": "staging", "prod-eu": "staging", dev: undefined },
            ["prod-us", "prod-eu", "staging", "dev"],
            ["dev", "staging", "prod-eu", "prod-us"],
        ],
        ["a promoteFrom no stack has is a root", { prod: "qa" }, ["prod"], ["prod"]],
        [
            "a deep branch after a shallow one",
            { a: undefined, b: "a", c: "b", d: "a" },
            ["c", "d"],
            ["d", "c"],
        ],
    ];
    for (const [name, tree, stacks, order] of rows) {
        it(name, () => assert.deepStrictEqual(promotionOrder(tree, stacks), { order, conflicts: [] }));
    }

    it("a stack that promotes from itself is a cycle", () => {
        assert.deepStrictEqual(promotionOrder({ a: "a" }, ["a"]).conflicts, [
            'image-release:promoteFrom makes a cycle (a -> a, each promoting into the next): no promotion order puts "a" after the stacks it promotes from',
        ]);
    });
});
