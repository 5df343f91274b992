import * as assert from "assert";
import { pickRollbackCombination, Refusal, sameMembers, StackHistoryEntry } from "../../src/flows";
import { StackImageConfig } from "../../src/stackconfig";

const d = (c: string) => `sha256:${c.repeat(64)}`;

/** A revision that pinned `images` (name -> digest character). */
function rev(n: number, images: Record<string, string>): StackHistoryEntry {
    const commit = String(n).repeat(40);
    return {
        commit,
        shortCommit: commit.slice(0, 7),
        date: "2024-01-01T00:00:00.000Z",
        author: "a",
        message: `rev ${n}`,
        images: Object.fromEntries(Object.entries(images).map(([k, v]) => [k, { digest: d(v) }])),
    };
}

describe("set rollback target: whole combinations, newest first", () => {
    // Newest first, as git log lists them.
    const entries = [
        rev(5, { api: "b", worker: "b" }),
        rev(4, { api: "a", worker: "b" }),
        rev(3, { api: "a", worker: "b" }), // the same combination again: one step, not two
        rev(2, { api: "a" }), // no worker yet: not a combination of both
        rev(1, { api: "a", worker: "a" }),
    ];
    const current = { api: d("b"), worker: d("b") };
    const names = ["api", "worker"];
    const table: [string | undefined, string | Refusal][] = [
        [undefined, "4444444"],
        ["1", "4444444"],
        ["2", "1111111"],
        [
            "3",
            new Refusal(
                `stack "prod" has only 2 earlier combination(s) of images api, worker in git history; cannot go back 3`,
            ),
        ],
        ["0", new Refusal("--to 0: steps must be at least 1")],
        [
            "1.2.0",
            new Refusal(
                `--to "1.2.0": stack "prod" pins a set, which steps back by whole combinations (--to N); roll one image back to a digest or version with --image NAME --to 1.2.0`,
            ),
        ],
    ];
    for (const [to, want] of table) {
        it(`--to ${to ?? "(none)"}`, () => {
            const pick = () => pickRollbackCombination("prod", current, names, entries, to);
            if (want instanceof Refusal) assert.throws(pick, want);
            else assert.strictEqual(pick().entry.shortCommit, want);
        });
    }

    it("restores each image's pin as that revision wrote it", () => {
        const pick = pickRollbackCombination("prod", current, names, entries, "2");
        assert.deepStrictEqual(pick.images, { api: { digest: d("a") }, worker: { digest: d("a") } });
    });
});

describe("a set moves only between stacks that pin the same images", () => {
    const stack = (name: string, images: string[]) =>
        ({
            stack: name,
            images: Object.fromEntries(images.map((i) => [i, { repository: `r/${i}`, platforms: [] }])),
        }) as unknown as StackImageConfig;
    const table: [string[], string[], string | undefined][] = [
        [["api", "worker"], ["worker", "api"], undefined],
        [["api", "worker"], ["api"], `(only in "staging": worker)`],
        [["api"], ["api", "cron"], `(only in "prod": cron)`],
        [["api", "worker"], ["api", "cron"], `(only in "staging": worker; only in "prod": cron)`],
    ];
    for (const [a, b, want] of table) {
        it(`${a.join(",")} -> ${b.join(",")}`, () => {
            const run = () => sameMembers(stack("staging", a), stack("prod", b));
            if (want === undefined) return run();
            assert.throws(
                run,
                new Refusal(
                    `stacks "staging" and "prod" pin different images ${want}; a set moves as one unit only between stacks that pin the same images (move one with --image NAME)`,
                ),
            );
        });
    }
});
