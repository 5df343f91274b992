import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RegistryClient } from "../../src/registry";
import { parsePrivateKey, signDigest } from "../../src/signing";
import { pushServerImage } from "../fixtures/registry/serverImage";
import {
    afterNamespace,
    deploymentImage,
    engineEnv,
    git,
    kubectl,
    projectCopy,
    requiredEnv,
    ROOT,
    RunResult,
    SIGNING,
    stack,
    timings,
    uniqueRun,
    VERIFIER,
    withPin,
} from "./harness";
import { answer, load, serviceUrl, summary } from "./traffic";

/** staging's soak here: short, so the verify schedule that follows the merge's pipeline closes it. */
const SOAK = 3;
/** staging's rollout timeout (image-release:rolloutTimeoutSeconds, and its rollout check). */
const ROLLOUT = 30;
const GITLAB_CI_LOCAL = path.join(ROOT, "node_modules", ".bin", "gitlab-ci-local");

/**
 * Issue 22 under a real pipeline: examples/ci/gitlab/.gitlab-ci.yml, as a team copies it, run by
 * gitlab-ci-local with the shell executor (no container image, nothing downloaded) in a project copy
 * whose origin is a local bare repository, against the local registries, the local cluster and a file
 * backend. Three merges in sequence: a promotion to staging (deployed, checked; the verify schedule then
 * proposes prod), a broken release (rolled back by the deploy job while the old Pods answer; nothing
 * proposed), a revert (deployed).
 */
describe("e2e: the GitLab pipeline (examples/ci/gitlab) under gitlab-ci-local: merge, deploy, verify, propose, roll back", function () {
    this.timeout(900_000);
    const r = uniqueRun();
    const repo = r.repository;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-pipelines-"));
    const origin = path.join(stateDir, "origin.git");
    const logFile = path.join(stateDir, "engine.log");
    const client = new RegistryClient({});
    let dir = "";
    const pins: Record<string, { digest: string; version: string }> = {};
    const merges: Record<string, string> = {};

    const stackFile = () => path.join(dir, "stacks", "Pulumi.staging.yaml");
    const pinStaging = (version: string) =>
        fs.writeFileSync(
            stackFile(),
            withPin(fs.readFileSync(stackFile(), "utf8"), { digest: pins[version].digest, version }),
        );
    /** A reviewed PR merged to main and pushed: what starts a push pipeline. */
    const merge = (message: string): { before: string; after: string } => {
        const before = git(dir, ["rev-parse", "HEAD"]).trim();
        git(dir, ["commit", "-q", "-am", message]);
        git(dir, ["push", "-q", "origin", "main"]);
        return { before, after: git(dir, ["rev-parse", "HEAD"]).trim() };
    };
    /** The branches origin holds, and the push options each push brought (the bare repository's hook). */
    const originBranches = () =>
        git(origin, ["for-each-ref", "--format=%(refname:short)", "refs/heads"]).trim().split("\n").sort();
    const pushLog = () => fs.readFileSync(path.join(origin, "push-log"), "utf8");
    /** What a team sets as CI/CD variables, and what GitLab itself sets for a push or a schedule. */
    const pipeline = async (label: string, variables: Record<string, string>) => {
        const env = engineEnv(stateDir);
        const settings: Record<string, string> = {
            CI_IMAGE: "",
            PROPOSALS_REMOTE_URL: origin,
            PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL,
            PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE,
            IMAGE_RELEASE_VERIFIER_KEY: env.IMAGE_RELEASE_VERIFIER_KEY,
            KUBECONFIG: env.KUBECONFIG,
            ...variables,
        };
        // The runner's machine: Node, the toolchain's pulumi and kubectl on PATH; nothing the team sets.
        const machine = {
            PATH: requiredEnv("PATH"),
            HOME: requiredEnv("HOME"),
            PULUMI_HOME: env.PULUMI_HOME,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        };
        // Run in the project (gitlab-ci-local's --cwd takes only a relative path).
        const args = [
            "--force-shell-executor",
            "--no-color",
            "--ignore-predefined-vars",
            "CI_PIPELINE_SOURCE",
            ...Object.entries(settings).flatMap(([k, v]) => ["--variable", `${k}=${v}`]),
        ];
        const started = Date.now();
        const res = await runClean(GITLAB_CI_LOCAL, args, dir, machine);
        const seconds = (Date.now() - started) / 1000;
        timings.push({ step: `pipelines: ${label}`, seconds });
        fs.appendFileSync(
            logFile,
            `\n=== ${label} (${seconds} s, exit ${res.code})\n${res.stdout}${res.stderr}`,
        );
        process.stdout.write(`\n  ${label}: gitlab-ci-local exit ${res.code} in ${seconds.toFixed(1)} s\n`);
        return { ...res, seconds, jobs: jobsRun(res.stdout) };
    };
    const jobLog = (job: string) =>
        fs.readFileSync(path.join(dir, ".gitlab-ci-local", "output", `${job}.log`), "utf8");
    const push = (before: string) => ({ CI_PIPELINE_SOURCE: "push", CI_COMMIT_BEFORE_SHA: before });

    before(async () => {
        dir = projectCopy(r);
        // The team's copy of the pipeline, at the project root.
        fs.copyFileSync(
            path.join(ROOT, "examples", "ci", "gitlab", ".gitlab-ci.yml"),
            path.join(dir, ".gitlab-ci.yml"),
        );
        const key = parsePrivateKey(fs.readFileSync(SIGNING.key, "utf8"), SIGNING.password, SIGNING.key);
        for (const [version, env] of [
            ["1.4.0", []],
            ["1.5.0", []],
            // The broken release: its server never turns ready.
            ["1.6.0", ["READY=false"]],
        ] as [string, string[]][]) {
            const img = await pushServerImage(client, repo, {
                app: "hello",
                version,
                gitSha: "abcdef0",
                env,
                seed: `${r.id}-${version}`,
            });
            await signDigest(client, repo, img.indexDigest, key);
            pins[version] = { digest: img.indexDigest, version };
        }
        fs.writeFileSync(
            stackFile(),
            afterNamespace(withPin(fs.readFileSync(stackFile(), "utf8"), { gitSha: "abcdef0" }), [
                `image-release:verifierKeys: ${VERIFIER.pub}`,
                "image-release:service: true",
                `image-release:rolloutTimeoutSeconds: "${ROLLOUT}"`,
                "image-release:checks:",
                `  soakSeconds: ${SOAK}`,
                `  rollout: {timeoutSeconds: ${ROLLOUT}}`,
                "  http:",
                `    - {name: app, service: hello, port: 8080, path: /, body: '"app":"hello"'}`,
            ]),
        );
        pinStaging("1.4.0");
        // prod: verification on (its default), so a proposal needs staging's soaked evidence.
        const prod = path.join(dir, "stacks", "Pulumi.prod.yaml");
        fs.writeFileSync(
            prod,
            fs.readFileSync(prod, "utf8").replace(/^\s*image-release:requireVerification: "false"\n/m, ""),
        );
        git(dir, ["add", "-A"]);
        git(dir, ["commit", "-q", "-m", "the GitLab pipeline; staging runs 1.4.0, serves and checks it"]);
        const staging = await stack(dir, "staging", stateDir);
        await stack(dir, "prod", stateDir);
        git(dir, ["commit", "-q", "-am", "pulumi stack init staging, prod"]);
        // What ran before these merges.
        await staging.up({ onOutput: (s) => fs.appendFileSync(logFile, s) });
        // origin: a bare repository that takes push options and records them, as GitLab's would act on them.
        git(stateDir, ["init", "-q", "--bare", origin]);
        git(origin, ["config", "receive.advertisePushOptions", "true"]);
        const hook = path.join(origin, "hooks", "pre-receive");
        fs.writeFileSync(
            hook,
            [
                "#!/bin/sh",
                "# One line per pushed ref, then the push options, as GitLab reads them.",
                'while read -r old new ref; do echo "$ref"; done >> push-log',
                'i=0; while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do eval "echo \\"  -o \\$GIT_PUSH_OPTION_$i\\"" >> push-log; i=$((i + 1)); done',
                "",
            ].join("\n"),
        );
        fs.chmodSync(hook, 0o755);
        git(dir, ["remote", "add", "origin", origin]);
        git(dir, ["push", "-q", "origin", "main"]);
        git(dir, ["remote", "set-head", "origin", "main"]);
        fs.writeFileSync(path.join(origin, "push-log"), "");
    });

    after(() => {
        process.stdout.write(
            `\n  e2e pipelines run ${r.id}: project ${dir}, origin ${origin}, logs ${logFile}\n`,
        );
    });

    it("(a) a merge that promotes staging deploys staging only and checks it; the verify schedule then proposes prod, pushed with the merge-request options", async () => {
        pinStaging("1.5.0");
        const m = merge("Promote 1.5.0 to staging");
        merges.a = m.after;
        const p = await pipeline("merge: promote staging to 1.5.0 (up, check, propose)", push(m.before));
        assert.strictEqual(p.code, 0, p.stdout + p.stderr);
        // release-dev: no build context changed; no container anywhere.
        assert.deepStrictEqual(p.jobs, ["deploy-staging", "deploy-prod", "propose"]);
        assert.doesNotMatch(p.stdout, /^\S+\s+starting (?!shell)/m);
        const range = `${m.before.slice(0, 12)}..${m.after.slice(0, 12)}`;
        assert.match(
            jobLog("deploy-staging"),
            new RegExp(
                `deploy ${range} \\(--stack staging\\): 1 stack file\\(s\\) changed, in promotion order\\n.*staging \\(promotion\\): deployed: pulumi up succeeded; check passed \\(hello 1\\.5\\.0 ${pins["1.5.0"].digest.slice(0, 19)}\\)`,
            ),
        );
        assert.match(
            jobLog("deploy-prod"),
            new RegExp(`deploy ${range} \\(--stack prod\\): no stack file changed; nothing to deploy`),
        );
        assert.strictEqual(deploymentImage(r.namespaces.staging), `${repo}@${pins["1.5.0"].digest}`);
        assert.strictEqual((await answer(serviceUrl(r.namespaces.staging, "hello"))).version, "1.5.0");
        // prod: left alone (never deployed here), and nothing proposed while staging's soak runs.
        assert.strictEqual(
            kubectl([
                "get",
                "deployments",
                "-n",
                r.namespaces.prod,
                "-o",
                "jsonpath={.items[*].metadata.name}",
            ]),
            "",
        );
        assert.deepStrictEqual(originBranches(), ["main"]);
        timings.push({
            step: "pipelines: headline: promotion merge to staging verified and running",
            seconds: p.seconds,
        });

        await new Promise((res) => setTimeout(res, SOAK * 1000));
        git(dir, ["checkout", "-q", "main"]);
        fs.writeFileSync(path.join(origin, "push-log"), "");
        const v = await pipeline("schedule verify: check staging, propose", {
            CI_PIPELINE_SOURCE: "schedule",
            IMAGE_RELEASE_SCHEDULE: "verify",
        });
        assert.strictEqual(v.code, 0, v.stdout + v.stderr);
        assert.deepStrictEqual(v.jobs, ["check-staging", "propose"]);
        const branches = originBranches();
        const proposal = branches.filter((b) => b !== "main");
        assert.strictEqual(proposal.length, 1, branches.join(", "));
        assert.match(
            git(origin, ["show", `${proposal[0]}:stacks/Pulumi.prod.yaml`]),
            new RegExp(`image-release:digest: ${pins["1.5.0"].digest}\\n`),
        );
        assert.strictEqual(
            pushLog(),
            [
                `refs/heads/${proposal[0]}`,
                "  -o merge_request.create",
                "  -o merge_request.target=main",
                "",
            ].join("\n"),
        );
    });

    it("(b) a merge of a broken release: the deploy job rolls staging back and checks it while every request is answered by the old Pods; the rollback is pushed, nothing is proposed", async () => {
        git(dir, ["checkout", "-q", "main"]);
        const before = originBranches();
        pinStaging("1.6.0");
        const m = merge("Promote 1.6.0 to staging");
        fs.writeFileSync(path.join(origin, "push-log"), "");
        merges.b = m.after;
        const traffic = load(serviceUrl(r.namespaces.staging, "hello"), 10, 2000);
        const p = await pipeline(
            "merge: broken release 1.6.0 (up, check fails, rollback, check)",
            push(m.before),
        );
        await new Promise((res) => setTimeout(res, 1000));
        const s = summary(await traffic.stop());
        process.stdout.write(
            `  broken release: ${s.requests} requests in ${s.seconds.toFixed(1)} s, ${s.failures.length} failed, slowest ${s.slowest} ms, answers ${s.sequence.join(" -> ")}\n`,
        );
        assert.strictEqual(p.code, 1, p.stdout + p.stderr);
        // deploy-prod needs deploy-staging, and propose's stage never starts.
        assert.deepStrictEqual(p.jobs, ["deploy-staging"]);
        const log = jobLog("deploy-staging");
        assert.match(log, /staging \(promotion\): FAILED: /);
        const rolled = /rolled back to 1\.5\.0 on branch (rollback\/staging-\S+);/.exec(log);
        assert.ok(rolled !== null, log);
        assert.match(log, /deploy FAILED: staging: /);
        assert.deepStrictEqual([s.failures, s.sequence], [[], ["1.5.0"]]);
        assert.strictEqual(deploymentImage(r.namespaces.staging), `${repo}@${pins["1.5.0"].digest}`);
        const added = originBranches().filter((b) => !before.includes(b));
        assert.deepStrictEqual(added, [rolled[1]]);
        assert.strictEqual(
            pushLog(),
            [
                `refs/heads/${added[0]}`,
                "  -o merge_request.create",
                "  -o merge_request.target=main",
                "",
            ].join("\n"),
        );
        timings.push({
            step: "pipelines: headline: broken release detected, rolled back, verified (pipeline)",
            seconds: p.seconds,
        });
    });

    it("(c) a revert commit deploys the rollback: staging back to 1.4.0, checked", async () => {
        git(dir, ["checkout", "-q", "main"]);
        const before = git(dir, ["rev-parse", "HEAD"]).trim();
        git(dir, ["revert", "--no-commit", merges.b, merges.a]);
        git(dir, ["commit", "-q", "-m", "Revert staging to 1.4.0 (reverts 1.6.0 and 1.5.0)"]);
        git(dir, ["push", "-q", "origin", "main"]);
        assert.match(
            fs.readFileSync(stackFile(), "utf8"),
            new RegExp(`image-release:digest: ${pins["1.4.0"].digest}\\n`),
        );
        const p = await pipeline("merge: revert to 1.4.0 (up, check)", push(before));
        assert.strictEqual(p.code, 0, p.stdout + p.stderr);
        assert.deepStrictEqual(p.jobs, ["deploy-staging", "deploy-prod", "propose"]);
        assert.match(
            jobLog("deploy-staging"),
            new RegExp(
                `staging \\(rollback\\): deployed: pulumi up succeeded; check passed \\(hello 1\\.4\\.0 ${pins["1.4.0"].digest.slice(0, 19)}\\)`,
            ),
        );
        assert.strictEqual(deploymentImage(r.namespaces.staging), `${repo}@${pins["1.4.0"].digest}`);
        assert.strictEqual((await answer(serviceUrl(r.namespaces.staging, "hello"))).version, "1.4.0");
    });
});

/** gitlab-ci-local with only the machine's environment: no CI/CD setting may leak in from the test's own. */
function runClean(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<RunResult> {
    return new Promise((resolve) => {
        execFile(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
    });
}

/** The jobs a pipeline started, in order: gitlab-ci-local prints `<job> starting shell (…)` for each. */
function jobsRun(stdout: string): string[] {
    return [...stdout.matchAll(/^(\S+)\s+starting shell/gm)].map((m) => m[1]);
}
