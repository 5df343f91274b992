import * as assert from "assert";
import {
    humanSeconds,
    nextVerification,
    reasonProblem,
    rejectionSummary,
    Signed,
    RejectionPredicate,
    soakEndsAt,
    soakState,
    soakSummary,
    standingRejection,
    VerificationPredicate,
} from "../../src/release";
import { ranBefore } from "../../src/flows";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const T0 = Date.parse("2026-12-06T10:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000);

const run = (result: "passed" | "failed", digest = D1, stack = "staging") => ({
    stack,
    cluster: "0b7c2a4e-1111-4222-8333-944455556666",
    members: { api: { repository: "127.0.0.1:5000/shop/api", digest } },
    result,
    checks: [],
    soakSeconds: 600,
});

describe("release/evidence: the soak window, its time left, and which rejection stands", () => {
    const cases: {
        name: string;
        previous?: VerificationPredicate;
        run: ReturnType<typeof run>;
        now: number;
        want: Partial<VerificationPredicate>;
    }[] = [
        {
            name: "a first pass opens the window",
            run: run("passed"),
            now: 0,
            want: { firstPassed: at(0).toISOString(), lastPassed: at(0).toISOString() },
        },
        {
            name: "a later pass of the same combination keeps its first time",
            previous: nextVerification(run("passed"), at(0)),
            run: run("passed"),
            now: 300,
            want: { firstPassed: at(0).toISOString(), lastPassed: at(300).toISOString() },
        },
        {
            name: "a pass after a failure starts again",
            previous: nextVerification(run("failed"), at(100)),
            run: run("passed"),
            now: 300,
            want: { firstPassed: at(300).toISOString(), lastPassed: at(300).toISOString() },
        },
        {
            name: "another combination starts its own window",
            previous: nextVerification(run("passed", D2), at(0)),
            run: run("passed"),
            now: 300,
            want: { firstPassed: at(300).toISOString(), lastPassed: at(300).toISOString() },
        },
        {
            name: "another stack's evidence is not continued",
            previous: nextVerification(run("passed", D1, "dev"), at(0)),
            run: run("passed"),
            now: 300,
            want: { firstPassed: at(300).toISOString(), lastPassed: at(300).toISOString() },
        },
        {
            name: "a failure records its time and no window",
            previous: nextVerification(run("passed"), at(0)),
            run: run("failed"),
            now: 50,
            want: { failedAt: at(50).toISOString(), firstPassed: undefined, lastPassed: undefined },
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const next = nextVerification(c.run, at(c.now), c.previous);
            for (const [k, v] of Object.entries(c.want)) {
                assert.strictEqual((next as unknown as Record<string, unknown>)[k], v, k);
            }
        });
    }

    const soaks: { name: string; last: number; now: number; min?: number; line: string }[] = [
        {
            name: "not over, counting from the first pass",
            last: 120,
            now: 240,
            line: 'its soak in "staging" is not over: 2m of 10m passed, 6m left',
        },
        {
            name: "over once first and last lie far enough apart",
            last: 600,
            now: 601,
            line: "soaked 10m of 10m",
        },
        {
            name: "time passed but no check recorded it",
            last: 120,
            now: 900,
            line: 'its soak time in "staging" has passed but no check recorded it (2m of 10m recorded): run `image-release check --stack staging`',
        },
        {
            name: "the target's own minimum, when larger",
            last: 600,
            now: 700,
            min: 3600,
            line: 'its soak in "staging" is not over: 10m of 1h passed, 48m 20s left',
        },
    ];
    for (const c of soaks) {
        it(`soak: ${c.name}`, () => {
            const p = nextVerification(run("passed"), at(c.last), nextVerification(run("passed"), at(0)));
            assert.strictEqual(soakSummary(soakState(p, at(c.now), c.min), "staging"), c.line);
        });
    }

    it("soakEndsAt: the first pass plus the soak asked for (the larger of the recorded and the minimum)", () => {
        const p = nextVerification(run("passed"), at(120), nextVerification(run("passed"), at(0)));
        assert.deepStrictEqual(
            [soakEndsAt(p), soakEndsAt(p, 3600), soakEndsAt(p, 60)],
            ["2026-12-06T10:10:00.000Z", "2026-12-06T11:00:00.000Z", "2026-12-06T10:10:00.000Z"],
        );
        assert.throws(() => soakEndsAt({ ...p, firstPassed: "yesterday" }), {
            message: "verification evidence has no valid firstPassed: yesterday",
        });
    });

    it("humanSeconds rounds up to whole seconds", () => {
        assert.deepStrictEqual([0, 0.2, 59, 60, 61, 3600, 3661, 90061].map(humanSeconds), [
            "0s",
            "1s",
            "59s",
            "1m",
            "1m 1s",
            "1h",
            "1h 1m 1s",
            "25h 1m 1s",
        ]);
    });

    const rejection = (lifted: boolean, when: string, reason: string): Signed<RejectionPredicate> => ({
        keyId: "sha256:0123456789abcdef",
        predicate: { digest: D1, lifted, reason, stack: "staging", at: when, by: lifted ? "user" : "check" },
    });
    const standing: { name: string; list: Signed<RejectionPredicate>[]; want?: string }[] = [
        { name: "none", list: [] },
        {
            name: "one rejection",
            list: [rejection(false, "2026-12-06T10:00:00Z", "http version failed")],
            want: "http version failed",
        },
        {
            name: "lifted later",
            list: [
                rejection(false, "2026-12-06T10:00:00Z", "http version failed"),
                rejection(true, "2026-12-06T11:00:00Z", "flaky check, fixed"),
            ],
        },
        {
            name: "rejected again after a lift, whatever the layer order",
            list: [
                rejection(false, "2026-12-06T12:00:00Z", "again"),
                rejection(true, "2026-12-06T11:00:00Z", "flaky check, fixed"),
                rejection(false, "2026-12-06T10:00:00Z", "http version failed"),
            ],
            want: "again",
        },
    ];
    for (const c of standing) {
        it(`standing rejection: ${c.name}`, () => {
            assert.strictEqual(standingRejection(c.list)?.predicate.reason, c.want);
        });
    }

    it("a rejection's summary names digest, stack, time, key, who and why", () => {
        assert.strictEqual(
            rejectionSummary(rejection(false, "2026-12-06T10:00:00Z", "http version failed")),
            `digest ${D1} was rejected in "staging" at 2026-12-06T10:00:00Z by verifier key sha256:0123456789abcdef (check): http version failed`,
        );
    });

    const reasons: [string, string | undefined][] = [
        ["breaks checkout", undefined],
        ["  ", "a reason is required"],
        ["a\nb", "one line of printable text"],
        ["x".repeat(501), "at most 500 characters, not 501"],
    ];
    for (const [reason, want] of reasons) {
        it(`reason ${JSON.stringify(reason.slice(0, 12))}: ${want ?? "accepted"}`, () => {
            assert.strictEqual(reasonProblem(reason), want);
        });
    }

    const histories: { name: string; history: (string | undefined)[]; want: boolean }[] = [
        { name: "a new digest (hand edit, committed)", history: [D1, D2], want: false },
        { name: "a new digest, not committed yet", history: [D2], want: false },
        { name: "restored by a rollback commit", history: [D1, D2, D1], want: true },
        { name: "a rollback not committed yet", history: [D2, D1], want: true },
        { name: "no history", history: [], want: false },
    ];
    for (const c of histories) {
        it(`ran before: ${c.name}`, () => assert.strictEqual(ranBefore(c.history, D1), c.want));
    }
});
