import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { notesRepo, releasedForNotes } from "../fixtures/cli/notes";
import { testClient } from "../fixtures/cli/scenarios";
import { runCli } from "../helpers/cli";

const client = testClient();

describe("cli notes @integration", () => {
    it("notes: Markdown on stdout, or JSON, exact, and both files written", async () => {
        const { dir, want, md } = await notesRepo(client);
        const human = await runCli(["notes", "--repo-root", dir, "--version", "1.4.2"]);
        assert.deepStrictEqual([human.code, human.stdout, human.stderr], [0, md, ""]);
        assert.strictEqual(
            fs.readFileSync(path.join(dir, ".image-release", "notes", "1.4.2.md"), "utf8"),
            md,
        );
        const json = await runCli(["notes", "--repo-root", dir, "--version", "1.4.2", "--json"]);
        assert.strictEqual(json.stdout, JSON.stringify(want, null, 2) + "\n");
        assert.strictEqual(
            fs.readFileSync(path.join(dir, ".image-release", "notes", "1.4.2.json"), "utf8"),
            JSON.stringify(want, null, 2) + "\n",
        );
    });

    it("notes right after release --repository elsewhere, with no --repository: the release's text, byte-identical", async () => {
        const { dir, md } = await releasedForNotes(client);
        const json = fs.readFileSync(path.join(dir, ".image-release", "notes", "3.1.0.json"), "utf8");
        const human = await runCli(["notes", "--repo-root", dir, "--version", "3.1.0"]);
        const asJson = await runCli(["notes", "--repo-root", dir, "--version", "3.1.0", "--json"]);
        assert.deepStrictEqual(
            [human.code, human.stdout, human.stderr, asJson.code, asJson.stdout, asJson.stderr],
            [0, md, "", 0, json, ""],
        );
    });
});
