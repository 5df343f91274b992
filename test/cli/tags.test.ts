import * as assert from "assert";
import { runCli } from "../helpers/cli";

describe("cli tags", () => {
    it("CLI prints one tag a line, or JSON", async () => {
        const h = await runCli(["tags", "--version", "2.0.1", "--git-sha", "abcdef0123"]);
        assert.deepStrictEqual([h.code, h.stdout], [0, "2.0.1\n2.0\n2\ngit-abcdef0\n"]);
        const j = await runCli(["tags", "--version", "2.0.1", "--git-sha", "abcdef0123", "--json"]);
        assert.deepStrictEqual(
            [j.code, j.stdout, j.stderr],
            [
                0,
                JSON.stringify(
                    {
                        version: "2.0.1",
                        tags: ["2.0.1", "2.0", "2", "git-abcdef0"],
                        immutable: ["2.0.1", "git-abcdef0"],
                        floating: ["2.0", "2"],
                        notes: [],
                    },
                    null,
                    2,
                ) + "\n",
                "",
            ],
        );
    });
});
