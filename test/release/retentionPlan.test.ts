import * as assert from "assert";
import {
    DeletionGroup,
    deletionRefs,
    RepositoryListing,
    RetentionInput,
    RetentionPlan,
    retentionPlan,
} from "../../src/release";

const R = "127.0.0.1:5000/team/app";
const hex = (c: string) => c.repeat(64);
const d = (c: string) => `sha256:${hex(c)}`;
const [A, B, C, E, G, H, X, Y, S, T, X2, Z, SB, O, F] = "abced81234567f0".split("").map(d);
const sig = (c: string) => `sha256-${hex(c)}.sig`;

/**
 * A (pinned) is an index of X and Y, signed (S) and attested (T). B, an older index, shares Y with A
 * and has its own X2 and a .sig (SB). G and H are indexes of the same Z. C and E are images. O is a
 * .sig of F, which the repository does not hold.
 */
const LISTING: RepositoryListing = {
    repository: R,
    tags: [
        { tag: "1.0.0", digest: A },
        { tag: sig("a"), digest: S, artifact: { kind: "sig", subject: A } },
        { tag: `sha256-${hex("a")}.att`, digest: T, artifact: { kind: "att", subject: A } },
        { tag: "0.9.0", digest: B },
        { tag: sig("b"), digest: SB, artifact: { kind: "sig", subject: B } },
        { tag: "0.8.0", digest: C },
        { tag: "0.8", digest: C },
        { tag: "0.7.0", digest: E },
        { tag: "0.6.0", digest: G },
        { tag: "0.5.0", digest: H },
        { tag: sig("0"), digest: O, artifact: { kind: "sig", subject: F } },
    ],
    manifests: {
        [A]: [
            { digest: X, platform: "linux/amd64" },
            { digest: Y, platform: "linux/arm64" },
        ],
        [B]: [
            { digest: X2, platform: "linux/amd64" },
            { digest: Y, platform: "linux/arm64" },
        ],
        [C]: [],
        [E]: [],
        [G]: [{ digest: Z, platform: "linux/amd64" }],
        [H]: [{ digest: Z, platform: "linux/amd64" }],
    },
};

const AGES = {
    [B]: { created: "2024-01-01T00:00:00Z" },
    [G]: { created: "2024-02-01T00:00:00Z" },
    [C]: { created: "2024-05-30T00:00:00Z" },
    [H]: { created: "2024-05-31T00:00:00Z" },
    [E]: { problem: `the config of ${E} has no created time` },
};

const base: RetentionInput = {
    pins: [{ stack: "prod", digest: A }],
    history: [],
    keepHistory: 10,
    channels: [],
    repositories: [LISTING],
    ages: AGES,
    now: new Date("2024-06-01T00:00:00Z"),
};

const KEPT = [
    { digest: A, reasons: ["pinned in prod"], repositories: [R] },
    { digest: X, reasons: [`linux/amd64 of ${A}`], repositories: [R] },
    { digest: Y, reasons: [`linux/arm64 of ${A}`], repositories: [R] },
    { digest: S, reasons: [`.sig of ${A}`], repositories: [R] },
    { digest: T, reasons: [`.att of ${A}`], repositories: [R] },
];

const group = (digest: string, tags: string[], over: Partial<DeletionGroup> = {}): DeletionGroup => ({
    repository: R,
    digest,
    tags,
    children: [],
    artifacts: [],
    ...over,
});
const gB = (children = [{ digest: X2, platform: "linux/amd64" }]) =>
    group(B, ["0.9.0"], {
        created: "2024-01-01T00:00:00Z",
        children,
        artifacts: [{ tag: sig("b"), digest: SB }],
    });
const gG = (children: DeletionGroup["children"]) =>
    group(G, ["0.6.0"], { created: "2024-02-01T00:00:00Z", children });
const gC = group(C, ["0.8.0", "0.8"], { created: "2024-05-30T00:00:00Z" });
const gH = group(H, ["0.5.0"], { created: "2024-05-31T00:00:00Z" });
const gE = group(E, ["0.7.0"], { ageProblem: `the config of ${E} has no created time` });
const gO = group(O, [sig("0")], { ageProblem: `${sig("0")} of ${F}, which has no tag here` });

const rows: { name: string; input: Partial<RetentionInput>; plan: RetentionPlan }[] = [
    {
        name: "no age: everything outside the keep set may go; a shared platform stays with the kept index",
        input: {},
        plan: {
            kept: KEPT,
            mayGo: [gB(), gG([{ digest: Z, platform: "linux/amd64" }]), gC, gH, gE, gO],
            tooNew: [],
            ageUnknown: [],
        },
    },
    {
        name: "older than 30d: newer ones stay, and so does what they share; no age is never old",
        input: { olderThanMs: 30 * 86_400_000 },
        plan: { kept: KEPT, mayGo: [gB(), gG([])], tooNew: [gC, gH], ageUnknown: [gE, gO] },
    },
    {
        name: "an older-than that lets nothing go",
        input: { olderThanMs: 365 * 86_400_000 },
        plan: { kept: KEPT, mayGo: [], tooNew: [gB([]), gG([]), gC, gH], ageUnknown: [gE, gO] },
    },
    {
        name: "a created time that is no time is an unknown age; exactly as old as the age is not older",
        input: { olderThanMs: 86_400_000, ages: { ...AGES, [C]: { created: "last week" } } },
        plan: {
            kept: KEPT,
            mayGo: [gB(), gG([])],
            tooNew: [gH],
            ageUnknown: [
                group(C, ["0.8.0", "0.8"], {
                    created: "last week",
                    ageProblem: 'its created time "last week" is no time',
                }),
                gE,
                gO,
            ],
        },
    },
    {
        name: "history beyond keepHistory goes; the newest entries and the channel tag stay",
        input: {
            pins: [],
            keepHistory: 1,
            history: [
                { stack: "staging", rank: 1, digest: A },
                { stack: "staging", rank: 2, digest: B },
            ],
            channels: [{ stack: "staging", repository: R, tag: "0.5.0" }],
            olderThanMs: 3 * 86_400_000,
        },
        plan: {
            kept: [
                { digest: A, reasons: ["history of staging (1st newest)"], repositories: [R] },
                { digest: H, reasons: ["channel tag 0.5.0 of staging"], repositories: [R] },
                ...KEPT.slice(1, 3),
                { digest: Z, reasons: [`linux/amd64 of ${H}`], repositories: [R] },
                ...KEPT.slice(3),
            ],
            mayGo: [gB(), gG([])],
            tooNew: [gC],
            ageUnknown: [gE, gO],
        },
    },
];

describe("retentionPlan: what may go, what stays and why", () => {
    for (const row of rows) {
        it(row.name, () => {
            assert.deepStrictEqual(retentionPlan({ ...base, ...row.input }), row.plan);
        });
    }

    it("a kept digest the repositories do not hold is not listed; its .sig there is kept", () => {
        const plan = retentionPlan({
            ...base,
            pins: [
                { stack: "prod", digest: A },
                { stack: "dev", digest: F },
            ],
        });
        assert.deepStrictEqual(plan.kept, [
            ...KEPT,
            { digest: O, reasons: [`.sig of ${F}`], repositories: [R] },
        ]);
        assert.deepStrictEqual(plan.mayGo, [gB(), gG([{ digest: Z, platform: "linux/amd64" }]), gC, gH, gE]);
    });

    it("deletionRefs: the image, then its manifests, then its .sig/.att", () => {
        assert.deepStrictEqual(deletionRefs(gB()), [
            { repository: R, digest: B },
            { repository: R, digest: X2 },
            { repository: R, digest: SB },
        ]);
    });
});
