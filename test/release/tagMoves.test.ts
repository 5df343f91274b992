import * as assert from "assert";
import { TagMovePlan, planTagMoves, tagWriteOrder } from "../../src/release";

const NEW = `sha256:${"b".repeat(64)}`;
const OLD = `sha256:${"a".repeat(64)}`;

describe("tagWriteOrder", () => {
    const rows: [string[], string[]][] = [
        [
            ["1.4", "1.4.2", "latest", "git-0123abc", "1"],
            ["1.4.2", "git-0123abc", "1.4", "latest", "1"],
        ],
        [
            ["stable", "stable", "2.0.0", "2.0.0"],
            ["2.0.0", "stable"],
        ],
        [
            ["1.4.2-rc.1", "1.4.2_build.7", "dev"],
            ["1.4.2-rc.1", "1.4.2_build.7", "dev"],
        ],
        [[], []],
    ];
    for (const [tags, want] of rows) {
        it(`${JSON.stringify(tags)} -> ${JSON.stringify(want)}`, () =>
            assert.deepStrictEqual(tagWriteOrder(tags), want));
    }
});

describe("planTagMoves", () => {
    const rows: {
        name: string;
        tags: string[];
        heads: [string, string | undefined][];
        force?: boolean;
        want: Omit<TagMovePlan, "digest">;
    }[] = [
        {
            name: "new tags: every one written, nothing to restore",
            tags: ["1.4", "1.4.2"],
            heads: [
                ["1.4", undefined],
                ["1.4.2", undefined],
            ],
            want: {
                moves: [
                    { tag: "1.4.2", write: true },
                    { tag: "1.4", write: true },
                ],
                refused: [],
            },
        },
        {
            name: "a floating tag that moves goes back on failure",
            tags: ["stable"],
            heads: [["stable", OLD]],
            want: {
                moves: [{ tag: "stable", previousDigest: OLD, write: true, restoreTo: OLD }],
                refused: [],
            },
        },
        {
            name: "a tag already on the digest is not written, even an immutable one",
            tags: ["1.4.2", "latest"],
            heads: [
                ["1.4.2", NEW],
                ["latest", NEW],
            ],
            want: {
                moves: [
                    { tag: "1.4.2", previousDigest: NEW, write: false },
                    { tag: "latest", previousDigest: NEW, write: false },
                ],
                refused: [],
            },
        },
        {
            name: "X.Y.Z and git-<sha> on another digest are refused, in write order",
            tags: ["1.4", "git-0123abc", "1.4.2"],
            heads: [
                ["1.4", OLD],
                ["git-0123abc", OLD],
                ["1.4.2", OLD],
            ],
            want: {
                moves: [
                    { tag: "git-0123abc", previousDigest: OLD, write: true },
                    { tag: "1.4.2", previousDigest: OLD, write: true },
                    { tag: "1.4", previousDigest: OLD, write: true, restoreTo: OLD },
                ],
                refused: [
                    { tag: "git-0123abc", current: OLD },
                    { tag: "1.4.2", current: OLD },
                ],
            },
        },
        {
            name: "force moves an immutable tag, and a forced move is not undone",
            tags: ["1.4.2", "1.4"],
            heads: [
                ["1.4.2", OLD],
                ["1.4", OLD],
            ],
            force: true,
            want: {
                moves: [
                    { tag: "1.4.2", previousDigest: OLD, write: true },
                    { tag: "1.4", previousDigest: OLD, write: true, restoreTo: OLD },
                ],
                refused: [],
            },
        },
        {
            name: "a repeated tag counts once",
            tags: ["dev", "dev"],
            heads: [["dev", undefined]],
            want: { moves: [{ tag: "dev", write: true }], refused: [] },
        },
    ];
    for (const row of rows) {
        it(row.name, () => {
            const plan = planTagMoves({
                digest: NEW,
                tags: row.tags,
                heads: new Map(row.heads),
                ...(row.force !== undefined ? { force: row.force } : {}),
            });
            assert.deepStrictEqual(plan, { digest: NEW, ...row.want });
        });
    }

    it("refuses a plan for a tag whose current digest was not given, naming it", () => {
        assert.throws(
            () => planTagMoves({ digest: NEW, tags: ["1.4.2", "1.4"], heads: new Map([["1.4", OLD]]) }),
            {
                name: "ReleaseRuleError",
                message: `no current digest given for tag "1.4.2"`,
            },
        );
    });
});
