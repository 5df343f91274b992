import * as assert from "assert";
import { KeepInput, keepSet, ordinal, parseAge, RepositoryListing } from "../../src/release";

const R = "127.0.0.1:5000/team/app";
const d = (c: string) => `sha256:${c.repeat(64)}`;
const [A, B, C, E, F, X, Y, S, T] = ["a", "b", "c", "e", "f", "1", "2", "3", "4"].map(d);
const sigOf = (x: string) => ({ kind: "sig" as const, subject: x });
const attOf = (x: string) => ({ kind: "att" as const, subject: x });

/** A: an index of X (amd64) and Y (arm64), signed (S) and attested (T); B, C, E plain images. */
const LISTING: RepositoryListing = {
    repository: R,
    tags: [
        { tag: "1.0.0", digest: A },
        { tag: "0.9.0", digest: B },
        { tag: "0.8.0", digest: C },
        { tag: "staging", digest: B },
        { tag: "latest", digest: E },
        { tag: `sha256-${"a".repeat(64)}.sig`, digest: S, artifact: sigOf(A) },
        { tag: `sha256-${"a".repeat(64)}.att`, digest: T, artifact: attOf(A) },
    ],
    manifests: {
        [A]: [
            { digest: X, platform: "linux/amd64" },
            { digest: Y, platform: "linux/arm64" },
        ],
        [B]: [],
        [C]: [],
    },
};

const base: KeepInput = {
    pins: [],
    history: [],
    keepHistory: 10,
    channels: [],
    repositories: [LISTING],
};

const rows: { name: string; input: Partial<KeepInput>; keep: [string, string[]][] }[] = [
    { name: "nothing pinned, run or listed keeps nothing", input: {}, keep: [] },
    {
        name: "a pinned index keeps its platforms, its .sig and its .att",
        input: { pins: [{ stack: "prod", digest: A }] },
        keep: [
            [A, ["pinned in prod"]],
            [X, [`linux/amd64 of ${A}`]],
            [Y, [`linux/arm64 of ${A}`]],
            [S, [`.sig of ${A}`]],
            [T, [`.att of ${A}`]],
        ],
    },
    {
        name: "a set's member is named; every reason of a digest is listed once",
        input: {
            pins: [
                { stack: "staging", image: "api", digest: B },
                { stack: "staging", image: "api", digest: B },
                { stack: "prod", image: "api", digest: B },
            ],
        },
        keep: [[B, ["pinned in staging (api)", "pinned in prod (api)"]]],
    },
    {
        name: "history: the newest keepHistory entries only, by rank",
        input: {
            keepHistory: 2,
            history: [
                { stack: "staging", rank: 1, digest: B },
                { stack: "staging", rank: 2, image: "api", digest: C },
                { stack: "staging", rank: 3, digest: E },
            ],
        },
        keep: [
            [B, ["history of staging (1st newest)"]],
            [C, ["history of staging (api, 2nd newest)"]],
        ],
    },
    {
        name: "a channel tag keeps the digest it names in the stack's repository",
        input: { channels: [{ stack: "staging", repository: R, tag: "staging" }] },
        keep: [[B, ["channel tag staging of staging"]]],
    },
    {
        name: "a channel tag the repository does not hold keeps nothing",
        input: { channels: [{ stack: "prod", repository: R, tag: "prod" }] },
        keep: [],
    },
    {
        name: "running: by digest (any repository), by tag (resolved in a listed repository), bare name is latest",
        input: {
            running: [
                { namespace: "staging", workload: "Deployment hello", image: `other.example/x@${F}` },
                { namespace: "staging", workload: "Pod hello-1", image: `${R}:0.8.0` },
                { namespace: "dev", workload: "Job t", image: `${R}` },
                { namespace: "dev", workload: "Job u", image: "not a reference" },
                { namespace: "dev", workload: "Job v", image: "elsewhere.example/y:1" },
            ],
        },
        keep: [
            [F, ["running in staging/Deployment hello"]],
            [C, ["running in staging/Pod hello-1"]],
            [E, ["running in dev/Job t"]],
        ],
    },
    {
        name: "a running platform manifest does not keep the index that holds it",
        input: { running: [{ namespace: "prod", workload: "Deployment api", image: `${R}@${X}` }] },
        keep: [[X, ["running in prod/Deployment api"]]],
    },
];

describe("keepSet: the digests retention keeps, each with why", () => {
    for (const row of rows) {
        it(row.name, () => {
            assert.deepStrictEqual([...keepSet({ ...base, ...row.input })], row.keep);
        });
    }
});

describe("parseAge and ordinal", () => {
    const ages: [string, number | undefined][] = [
        ["30d", 30 * 86_400_000],
        ["12h", 12 * 3_600_000],
        ["1d", 86_400_000],
        ["0d", undefined],
        ["30", undefined],
        ["1.5d", undefined],
        ["30m", undefined],
        ["-1d", undefined],
        ["", undefined],
        ["d", undefined],
    ];
    for (const [v, want] of ages) {
        it(`"${v}" -> ${String(want)}`, () => assert.strictEqual(parseAge(v), want));
    }
    it("ordinals", () => {
        assert.deepStrictEqual([1, 2, 3, 4, 10, 11, 12, 13, 21, 22, 23, 101, 111].map(ordinal), [
            "1st",
            "2nd",
            "3rd",
            "4th",
            "10th",
            "11th",
            "12th",
            "13th",
            "21st",
            "22nd",
            "23rd",
            "101st",
            "111th",
        ]);
    });
});
