import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { editStackText } from "../../src/stackconfig";
import { CORPUS, PROMOTE } from "../fixtures/stacks/corpusEdits";
import { engineEnv, run, timings } from "./harness";

/**
 * What the engine reads back: every corpus file, edited as `promote` edits it, answers
 * `pulumi config get` with exactly the strings the CLI meant (yaml.v3, the engine's YAML reader, is
 * where an unquoted all-digit sha would turn into a number).
 */
describe("e2e: edited stack files read back by the Pulumi CLI", function () {
    this.timeout(300_000);
    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: t.title, seconds: (t.duration ?? 0) / 1000 });
    });

    it("stack files: pulumi config get returns each promoted value from every corpus file", async () => {
        for (const name of fs.readdirSync(CORPUS).sort()) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-corpus-"));
            const state = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-corpus-state-"));
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: image-release\nruntime: nodejs\n");
            // pulumi-written.yaml was made by the CLI with this passphrase; its secret must still decrypt.
            const env = { ...engineEnv(state), PULUMI_CONFIG_PASSPHRASE: "corpus" };
            await LocalWorkspace.createOrSelectStack({ stackName: "corpus", workDir: dir }, { envVars: env });
            const file = path.join(dir, "Pulumi.corpus.yaml");
            const salt = /^encryptionsalt: .*$/m.exec(fs.readFileSync(file, "utf8"))?.[0] ?? "";
            let text = fs.readFileSync(path.join(CORPUS, name), "utf8");
            // A file without its own salt gets this stack's, on a line of its own before the config map.
            if (!text.includes("encryptionsalt:")) text = text.replace(/^(\uFEFF?)/, `$1${salt}\n`);
            fs.writeFileSync(file, editStackText(name, text, PROMOTE));
            for (const [key, want] of Object.entries(PROMOTE)) {
                const got = await run(
                    "pulumi",
                    ["config", "get", `image-release:${key}`, "--stack", "corpus"],
                    dir,
                    env,
                );
                assert.deepStrictEqual(
                    [name, key, got.code, got.stdout],
                    [name, key, 0, `${want}\n`],
                    got.stderr,
                );
            }
        }
    });
});
