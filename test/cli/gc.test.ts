import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderGc } from "../../src/cli/gc";
import { gc, GcResult, mayGoLines } from "../../src/flows";
import { testClient } from "../fixtures/cli/scenarios";
import { emptyRepository } from "../fixtures/retention/registry";
import { fakeKubectl, NOW, retentionScenario, Scenario } from "../fixtures/retention/scenario";
import { runIn } from "../helpers/cli";

const R = "127.0.0.1:5000/team/app";
const d = (c: string) => `sha256:${c.repeat(64)}`;

const base: GcResult = {
    mode: "plan",
    keepHistory: 10,
    namespaces: ["prod/prod", "staging/staging"],
    repositories: [R],
    kept: [
        { digest: d("a"), reasons: ["pinned in prod", "history of prod (1st newest)"], repositories: [R] },
        { digest: d("1"), reasons: [`.sig of ${d("a")}`], repositories: [R] },
    ],
    mayGo: [
        {
            repository: R,
            digest: d("b"),
            tags: ["1.1.0", "1.1"],
            created: "2024-01-01T00:00:00Z",
            children: [{ digest: d("2"), platform: "linux/amd64" }, { digest: d("3") }],
            artifacts: [{ tag: `sha256-${"b".repeat(64)}.att`, digest: d("4") }],
        },
    ],
    tooNew: [],
    ageUnknown: [],
};

const HEAD = [
    "kept: each stack's pin, its 10 newest history entries, its channel tag and what runs, with their manifests, .sig and .att",
    "running images: read from prod/prod, staging/staging",
    `repositories: ${R}`,
    "kept (2):",
    `  ${d("a")}  pinned in prod; history of prod (1st newest)`,
    `  ${d("1")}  .sig of ${d("a")}`,
];
const GOES = [
    `  ${R}@${d("b")}  created 2024-01-01T00:00:00Z  tags 1.1.0, 1.1`,
    `    + linux/amd64 ${d("2")}`,
    `    + manifest ${d("3")}`,
    `    + sha256-${"b".repeat(64)}.att ${d("4")}`,
];

const rows: { name: string; r: GcResult; text: string[] }[] = [
    {
        name: "a plan",
        r: base,
        text: [
            ...HEAD,
            "may go (1): outside the keep set; deleting a manifest by digest removes every tag on it",
            ...GOES,
        ],
    },
    {
        name: "a plan without the clusters, and nothing that may go",
        r: { ...base, namespaces: undefined, mayGo: [] },
        text: [
            ...HEAD.slice(0, 1),
            "running images: not read (--no-cluster): a digest that only a cluster runs may be listed as may go",
            ...HEAD.slice(2),
            "may go (0): outside the keep set; deleting a manifest by digest removes every tag on it",
        ],
    },
    {
        name: "an apply with an age: what stays, what has no age, what was deleted",
        r: {
            ...base,
            mode: "apply",
            olderThan: "30d",
            tooNew: [
                {
                    repository: R,
                    digest: d("c"),
                    tags: ["2.0.0"],
                    created: "2024-12-30T00:00:00Z",
                    children: [],
                    artifacts: [],
                },
            ],
            ageUnknown: [
                {
                    repository: R,
                    digest: d("e"),
                    tags: ["0.1.0"],
                    ageProblem: `the config of ${d("e")} has no created time`,
                    children: [],
                    artifacts: [],
                },
            ],
            out: "may-go.txt",
            deleted: [`${R}@${d("b")}`, `${R}@${d("2")}`, `${R}@${d("3")}`, `${R}@${d("4")}`],
        },
        text: [
            ...HEAD,
            "may go (1): outside the keep set and older than 30d; deleting a manifest by digest removes every tag on it",
            ...GOES,
            "not older than 30d (1): stays",
            `  ${R}@${d("c")}  created 2024-12-30T00:00:00Z  tags 2.0.0`,
            "age unknown (1): never deleted by --apply",
            `  ${R}@${d("e")}  age unknown: the config of ${d("e")} has no created time  tags 0.1.0`,
            "may-go list: may-go.txt",
            "deleted (4):",
            `  ${R}@${d("b")}`,
            `  ${R}@${d("2")}`,
            `  ${R}@${d("3")}`,
            `  ${R}@${d("4")}`,
        ],
    },
];

describe("cli gc: the plan as text", () => {
    for (const row of rows) {
        it(row.name, () => assert.strictEqual(renderGc(row.r), row.text.join("\n") + "\n"));
    }
});

describe("cli gc @integration", () => {
    const client = testClient();
    let s: Scenario;
    const deps = () => ({ client, now: () => NOW, kubectl: fakeKubectl(() => `${s.repo}@${s.R.digest}`) });

    before(async () => {
        s = await retentionScenario(client);
    });
    after(async () => emptyRepository(client, s.repo));

    it("--plan --older-than --out prints the flow's plan, --json its result, and writes the list", async () => {
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gc-cli-")), "may-go.txt");
        const args = [
            "gc",
            "--plan",
            "--older-than",
            "30d",
            "--keep-history",
            "2",
            "--out",
            out,
            "--repo-root",
            s.dir,
        ];
        const want = await gc(
            { repoRoot: s.dir, stacksDir: path.join(s.dir, "stacks"), olderThan: "30d", keepHistory: 2, out },
            deps(),
        );
        fs.unlinkSync(out);
        const human = await runIn(args, deps());
        assert.deepStrictEqual([human.code, human.stdout, human.stderr], [0, renderGc(want), ""]);
        assert.strictEqual(fs.readFileSync(out, "utf8"), mayGoLines(want.mayGo));
        assert.strictEqual(mayGoLines(want.mayGo).split("\n").length, 8);
        const json = await runIn([...args, "--json"], deps());
        assert.deepStrictEqual([json.code, json.stdout], [0, JSON.stringify(want, null, 2) + "\n"]);
    });

    const usage: { args: string[]; stderr: string }[] = [
        { args: ["gc"], stderr: "image-release: gc needs one of --plan and --apply\n" },
        {
            args: ["gc", "--plan", "--apply"],
            stderr: "image-release: gc needs one of --plan and --apply\n--apply needs --older-than (e.g. 30d)\n",
        },
        { args: ["gc", "--apply"], stderr: "image-release: --apply needs --older-than (e.g. 30d)\n" },
        {
            args: ["gc", "--apply", "--older-than", "a month"],
            stderr: 'image-release: --older-than "a month" is not an age: a whole number of days or hours, e.g. 30d or 12h\n',
        },
        {
            args: ["gc", "--plan", "--keep-history", "0"],
            stderr: "error: option '--keep-history <n>' argument '0' is invalid. --keep-history must be an integer >= 1 (got \"0\")\n",
        },
        { args: ["gc", "--plan", "--out", ""], stderr: 'image-release: --out must not be empty (got "")\n' },
    ];
    for (const u of usage) {
        it(`usage: ${u.args.join(" ")} -> exit 2`, async () => {
            const r = await runIn([...u.args, "--repo-root", s.dir], deps());
            assert.deepStrictEqual([r.code, r.stdout, r.stderr], [2, "", u.stderr]);
        });
    }
});
