import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { notesRepo, releasedForNotes } from "../fixtures/cli/notes";
import { testClient } from "../fixtures/cli/scenarios";
import { RegistryClient } from "../../src/registry";
import { makeRepo } from "../fixtures/cli/repo";
import { runCli, runIn } from "../helpers/cli";

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

describe("cli notes --version that is a path", () => {
    for (const version of ["../../x", "/tmp/x"]) {
        it(`--version ${version}: usage refusal, no registry call, nothing written`, async () => {
            const dir = makeRepo("127.0.0.1:5000/test/cli-notes-path", `sha256:${"0".repeat(64)}`);
            // Any registry call would throw: the refusal comes first.
            const r = await runIn(["notes", "--repo-root", dir, "--version", version], {
                client: {} as RegistryClient,
            });
            assert.deepStrictEqual(
                [r.code, r.stdout, r.stderr, fs.existsSync(path.join(dir, ".image-release"))],
                [
                    2,
                    "",
                    `image-release: --version "${version}" is not a semver version (X.Y.Z, e.g. 1.4.2)\n`,
                    false,
                ],
            );
        });
    }
});
