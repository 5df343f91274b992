import * as assert from "assert";
import { run } from "../../src/cli";
import { breakForVerify, notesRepo } from "../fixtures/cli/notes";
import { makeRepo } from "../fixtures/cli/repo";
import { testClient } from "../fixtures/cli/scenarios";
import { runCli } from "../helpers/cli";

const client = testClient();
const GHOST = `sha256:${"9".repeat(64)}`;

describe("cli verify @integration", () => {
    it("verify: clean (exit 0), then every finding listed with exit code 1", async () => {
        const c = await notesRepo(client);
        const dir = c.dir;
        const clean = await runCli(["verify", "--repo-root", dir]);
        assert.deepStrictEqual([clean.code, clean.stdout, clean.stderr], [0, "verify: ok\n", ""]);
        const cleanJson = await runCli(["verify", "--repo-root", dir, "--json"]);
        assert.deepStrictEqual(
            [cleanJson.code, cleanJson.stdout],
            [0, JSON.stringify({ ok: true, findings: [], signatures: [] }, null, 2) + "\n"],
        );
        const findings = await breakForVerify(client, c);
        const res = await runCli(["verify", "--repo-root", dir]);
        const json = await runCli(["verify", "--repo-root", dir, "--json"]);
        assert.deepStrictEqual(
            [json.code, json.stdout, json.stderr],
            [1, JSON.stringify({ ok: false, findings, signatures: [] }, null, 2) + "\n", ""],
        );
        assert.deepStrictEqual(
            [res.code, res.stdout, res.stderr],
            [1, `verify: 4 finding(s)\n${findings.map((f) => `- ${f}\n`).join("")}`, ""],
        );
    });
});

describe("cli verify --version", () => {
    for (const v of ["nope", "1.4", "=1.4.2", " 1.4.2"]) {
        it(`refuses ${JSON.stringify(v)} with the usage exit code, before asking the registry`, async () => {
            const dir = makeRepo("127.0.0.1:5000/test-cli/verify-never-pushed", GHOST);
            const want = `--version "${v}" is not a semver version (X.Y.Z, e.g. 1.4.2)`;
            let out = "";
            const code = await run(["verify", "--repo-root", dir, "--version", v], {
                out: (x) => (out += x),
                err: (x) => (out += x),
            });
            assert.deepStrictEqual([code, out], [2, `image-release: ${want}\n`]);
        });
    }
});
