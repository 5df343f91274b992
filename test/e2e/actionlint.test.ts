import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requiredEnv, ROOT, run } from "./harness";

const WORKFLOWS = path.join(ROOT, "examples", "ci", "github");

/**
 * actionlint from the toolchain (scripts/toolchain.sh builds github.com/rhysd/actionlint into
 * $TOOLCHAIN_DIR/bin, which scripts/e2e.sh exports): never one that happens to be on the machine.
 */
function actionlint(): string {
    const bin = path.join(requiredEnv("TOOLCHAIN_DIR"), "bin", "actionlint");
    if (!fs.existsSync(bin)) {
        throw new Error(`${bin} does not exist: build the toolchain (bash scripts/toolchain.sh)`);
    }
    return bin;
}

/**
 * One finding a line; its shellcheck and pyflakes integrations are off: neither is in the toolchain, and
 * a finding must not depend on what else the machine has.
 */
const lint = (files: string[], cwd: string) =>
    run(actionlint(), ["-oneline", "-no-color", "-shellcheck=", "-pyflakes=", ...files], cwd);

describe("e2e: actionlint checks the shipped GitHub workflows (examples/ci/github)", function () {
    this.timeout(60_000);

    it("finds nothing in any of them", async () => {
        const files = fs
            .readdirSync(WORKFLOWS)
            .filter((f) => f.endsWith(".yml"))
            .sort();
        assert.deepStrictEqual(files, [
            "deploy.yml",
            "drift.yml",
            "gc-plan.yml",
            "release-dev.yml",
            "verify-and-propose.yml",
        ]);
        const r = await lint(files, WORKFLOWS);
        assert.deepStrictEqual([r.code, r.stdout, r.stderr], [0, "", ""]);
    });

    it("reports a broken copy with its message: a job that needs a job the workflow lacks, an input pulumi/actions does not take", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-actionlint-"));
        try {
            const deploy = fs.readFileSync(path.join(WORKFLOWS, "deploy.yml"), "utf8");
            const broken = deploy.replace(
                "needs: [changes, deploy-staging]",
                "needs: [changes, deploy-stagin]",
            );
            assert.notStrictEqual(broken, deploy);
            fs.writeFileSync(path.join(dir, "deploy.yml"), broken);
            const release = fs.readFileSync(path.join(WORKFLOWS, "release-dev.yml"), "utf8");
            const typo = release.replace("stack-name: dev", "stack: dev");
            assert.notStrictEqual(typo, release);
            fs.writeFileSync(path.join(dir, "release-dev.yml"), typo);
            const line = (text: string, s: string) => text.split("\n").findIndex((l) => l.includes(s)) + 1;
            const r = await lint(["deploy.yml", "release-dev.yml"], dir);
            assert.deepStrictEqual(
                [r.code, r.stdout.split("\n"), r.stderr],
                [
                    1,
                    [
                        `deploy.yml:${line(broken, "deploy-prod:")}:3: job "deploy-prod" needs job "deploy-stagin" which does not exist in this workflow [job-needs]`,
                        `deploy.yml:${line(broken, "needs.deploy-staging.result")}:29: property "deploy-staging" is not defined in object type {changes: {outputs: {stacks: string}; result: string}} [expression]`,
                        `release-dev.yml:${line(typo, "stack: dev")}:11: input "stack" is not defined in action "pulumi/actions@v6". available inputs are "always-include-summary", "cloud-url", "color", "command", "comment-on-pr", "comment-on-pr-number", "comment-on-summary", "config-map", "continue-on-error", "debug", "diff", "edit-pr-comment", "exclude", "exclude-dependents", "exclude-protected", "expect-no-changes", "github-token", "log-flow", "log-verbosity", "message", "parallel", "plan", "policyPackConfigs", "policyPacks", "pulumi-version", "pulumi-version-file", "refresh", "remove", "replace", "secrets-provider", "stack-name", "suppress-outputs", "suppress-progress", "target", "target-dependents", "upsert", "work-dir" [action]`,
                        "",
                    ],
                    "",
                ],
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
