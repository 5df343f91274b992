import * as assert from "assert";
import { tags } from "../../src/flows";
import { Channel } from "../../src/release";

describe("tags", () => {
    const rows: {
        args: { version: string; gitSha: string; channel?: Channel };
        want?: string[];
        err?: string;
    }[] = [
        { args: { version: "1.4.2", gitSha: "0123abcdef" }, want: ["1.4.2", "1.4", "1", "git-0123abc"] },
        {
            args: { version: "1.4.2", gitSha: "0123abcdef", channel: "staging" },
            want: ["1.4.2", "1.4", "1", "git-0123abc", "staging"],
        },
    ];
    for (const r of rows) {
        it(`${JSON.stringify(r.args)}`, async () => {
            assert.deepStrictEqual((await tags({ repoRoot: ".", ...r.args })).tags, r.want);
        });
    }
});
