import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { RegistryClient } from "../../src/registry";
import { pushServerImage } from "../fixtures/registry/serverImage";
import {
    afterNamespace,
    engineEnv,
    git,
    kubectl,
    podsOf,
    projectCopy,
    REAL_NODE,
    run,
    stack,
    timings,
    uniqueRun,
} from "./harness";
import { answer, load, serviceUrl, summary } from "./traffic";

/** `answer` until it is `want` (or 30 s passed): the last answer. */
async function answerBecomes(url: string, want: Record<string, string>): Promise<Record<string, string>> {
    const end = Date.now() + 30_000;
    for (;;) {
        const got = await answer(url);
        if (JSON.stringify(got) === JSON.stringify(want) || Date.now() > end) return got;
        await new Promise((res) => setTimeout(res, 500));
    }
}

/** The stack's rollout timeout (image-release:rolloutTimeoutSeconds) in this project copy. */
const TIMEOUT = 45;

/**
 * Issue 18 under the real `pulumi up`: the stacks' Pods run on the real node (containerd, kubelet,
 * kube-proxy), pulled by the pinned digest; their Service answers with the version baked into the image.
 * With image-release:service the app has a readiness probe and a rollout that never drops a ready
 * replica: a release and a rollback move the answers under load without one failed request; a broken
 * release fails `up` within the stack's rollout timeout while the old Pods keep answering.
 */
describe("e2e: the real node runs the pinned digests: HTTP, a rollout under load, rollbacks, a broken release", function () {
    this.timeout(900_000);
    const r = uniqueRun();
    const repo = r.repository;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-node-"));
    const logFile = path.join(stateDir, "engine.log");
    const log = (s: string) => fs.appendFileSync(logFile, s);
    const stacks: Record<string, Stack> = {};
    const client = new RegistryClient({});
    let dir = "";
    let sha1 = "";
    let d1 = "";
    let d2 = "";

    const cli = (args: string[]) =>
        run("node", [path.join(dir, "bin", "image-release.js"), ...args], dir, engineEnv(stateDir));
    /** `pulumi stack output release --json`, where `promote --from <stack>` reads it. */
    const recordOutputs = async (name: string) => {
        const out = await run("pulumi", ["stack", "output", "release", "--json", "--stack", name], dir, {
            ...engineEnv(stateDir),
        });
        assert.strictEqual(out.code, 0, out.stderr);
        fs.mkdirSync(path.join(dir, ".image-release", "outputs"), { recursive: true });
        fs.writeFileSync(path.join(dir, ".image-release", "outputs", `${name}.json`), out.stdout);
    };
    /** A CLI command with --git --json, its branch merged as a reviewed PR is. */
    const pinAndMerge = async (args: string[]): Promise<{ digest: string }> => {
        const p = await cli([...args, "--git", "--json"]);
        assert.strictEqual(p.code, 0, p.stderr);
        const result = JSON.parse(p.stdout) as { digest: string; branch: string };
        git(dir, ["checkout", "-q", "main"]);
        git(dir, ["merge", "-q", "--ff-only", result.branch]);
        // Merged: a later rollback to the same pin makes a branch of the same name.
        git(dir, ["branch", "-q", "-d", result.branch]);
        return result;
    };
    const promote = async (from: string, to: string) => {
        await recordOutputs(from);
        return pinAndMerge(["promote", "--from", from, "--to", to]);
    };
    /** The Deployment's ready Pods: node and imageID, once exactly `want` are (up's await saw them). */
    const readyPods = (env: string) =>
        podsOf(r.namespaces[env], "app=hello")
            .filter((p) => p.ready && !p.deleting)
            .map((p) => [p.node, p.imageID]);
    const pullSeconds = (env: string, pod: string): number | undefined => {
        const events = kubectl([
            "get",
            "events",
            "-n",
            r.namespaces[env],
            "--field-selector",
            `involvedObject.name=${pod},reason=Pulled`,
            "-o",
            "jsonpath={range .items[*]}{.message}{'\\n'}{end}",
        ]);
        // A digest the node holds already (dev pulled it) is not pulled again: "already present on machine".
        const m = /Successfully pulled image .* in ([0-9.]+)(ms|s) \(/.exec(events);
        return m === null ? undefined : Number(m[1]) / (m[2] === "ms" ? 1000 : 1);
    };
    const url = (env: string) => serviceUrl(r.namespaces[env], "hello");
    const baked = (version: string, gitSha: string) => ({ app: "hello", version, gitSha });
    const history = (env: string) =>
        kubectl(["rollout", "history", "deployment/hello", "-n", r.namespaces[env]]);
    /** `up` of staging while the bounded client sends 10 GETs a second through its Service. */
    const upUnderLoad = async (label: string, up: () => Promise<unknown>) => {
        const traffic = load(url("staging"), 10, 2000);
        const started = Date.now();
        let failed: unknown;
        try {
            await up();
        } catch (e) {
            failed = e;
        }
        const upSeconds = (Date.now() - started) / 1000;
        // A second more after `up` returns: the old Pods' drain.
        await new Promise((res) => setTimeout(res, 1000));
        const s = summary(await traffic.stop());
        timings.push({ step: `real node: ${label}: up`, seconds: upSeconds });
        process.stdout.write(
            `\n  ${label}: ${s.requests} requests in ${s.seconds.toFixed(1)} s, ${s.failures.length} failed, ` +
                `slowest ${s.slowest} ms, answers ${s.sequence.join(" -> ")}\n`,
        );
        return { ...s, failed, upSeconds };
    };

    before(async () => {
        dir = projectCopy(r);
        sha1 = git(dir, ["log", "-1", "--format=%H", "--", "examples/hello"]).trim();
        for (const name of ["dev", "staging", "prod"]) {
            stacks[name] = await stack(dir, name, stateDir);
            await stacks[name].setConfig("image-release:service", { value: "true" });
            await stacks[name].setConfig("image-release:rolloutTimeoutSeconds", { value: String(TIMEOUT) });
        }
        git(dir, ["commit", "-q", "-am", "the app serves: a Service, readiness, and a rollout timeout"]);
    });

    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: `real node: ${t.title}`, seconds: (t.duration ?? 0) / 1000 });
    });

    after(() => {
        process.stdout.write(`\n  e2e real-node run ${r.id}: project ${dir}, engine log ${logFile}\n`);
    });

    it("dev, staging, prod: each Pod runs on the real node from the pinned digest, and its Service answers the baked version", async () => {
        d1 = (await stacks.dev.up({ onOutput: log })).outputs.digest.value as string;
        assert.strictEqual((await promote("dev", "staging")).digest, d1);
        await stacks.staging.up({ onOutput: log });
        assert.strictEqual((await promote("staging", "prod")).digest, d1);
        await stacks.prod.up({ onOutput: log });
        for (const env of ["dev", "staging", "prod"]) {
            assert.deepStrictEqual(readyPods(env), [[REAL_NODE, `${repo}@${d1}`]], env);
            const [pod] = podsOf(r.namespaces[env], "app=hello");
            const pulled = pullSeconds(env, pod.name);
            if (pulled !== undefined)
                timings.push({ step: `real node: ${env}: pull by digest`, seconds: pulled });
            assert.deepStrictEqual(await answer(url(env)), baked("1.4.2", sha1), env);
        }
    });

    it("training: the staging Job ran on the real node from the pinned digest; its log holds the code sha and the dataset version", async () => {
        const job = ((await stacks.staging.outputs()).trainingJob.value as { name: string }).name;
        const ns = r.namespaces.staging;
        const pods = podsOf(ns, `job-name=${job}`);
        assert.deepStrictEqual(
            pods.map((p) => [p.node, p.phase, p.imageID]),
            [[REAL_NODE, "Succeeded", `${repo}@${d1}`]],
        );
        assert.strictEqual(
            kubectl(["logs", "-n", ns, `job/${job}`]),
            `{"app":"hello","version":"1.4.2","gitSha":"${sha1}","datasetVersion":"clicks-2026-11-01"}\n`,
        );
    });

    it("rollout under load: while up moves staging from 1.4.2 to 1.5.0, every request through the Service gets 200 within 2 s, and the answers never go back", async () => {
        const cfg = await run(
            "pulumi",
            ["config", "set", "--stack", "dev", "image-release:version", "1.5.0"],
            dir,
            engineEnv(stateDir),
        );
        assert.strictEqual(cfg.code, 0, cfg.stderr);
        fs.appendFileSync(path.join(dir, "examples", "hello", "Dockerfile"), "# 1.5.0: a new release\n");
        git(dir, ["commit", "-q", "-am", "hello 1.5.0"]);
        const sha2 = git(dir, ["log", "-1", "--format=%H", "--", "examples/hello"]).trim();
        d2 = (await stacks.dev.up({ onOutput: log })).outputs.digest.value as string;
        // The old Pod drains (5 s) after `up` returns, and client-IP affinity keeps this client on it
        // until kube-proxy drops it: the new answer comes within seconds.
        assert.deepStrictEqual(await answerBecomes(url("dev"), baked("1.5.0", sha2)), baked("1.5.0", sha2));
        assert.strictEqual((await promote("dev", "staging")).digest, d2);

        const s = await upUnderLoad("rollout 1.4.2 -> 1.5.0", () => stacks.staging.up({ onOutput: log }));
        assert.strictEqual(s.failed, undefined, String(s.failed));
        assert.deepStrictEqual(s.failures, []);
        assert.ok(s.slowest < 2000, `slowest answer ${s.slowest} ms`);
        assert.ok(s.requests >= 10 * s.upSeconds * 0.8, `${s.requests} requests in ${s.upSeconds} s`);
        assert.deepStrictEqual(s.sequence, ["1.4.2", "1.5.0"]);
        assert.deepStrictEqual(readyPods("staging"), [[REAL_NODE, `${repo}@${d2}`]]);
    });

    it("rollback: rollback --stack staging --git and up (under load) answer 1.4.2 again; kubectl rollout history lists both revisions", async () => {
        assert.strictEqual((await pinAndMerge(["rollback", "--stack", "staging"])).digest, d1);
        const s = await upUnderLoad("rollback 1.5.0 -> 1.4.2", () => stacks.staging.up({ onOutput: log }));
        assert.strictEqual(s.failed, undefined, String(s.failed));
        assert.deepStrictEqual(s.failures, []);
        assert.ok(s.slowest < 2000, `slowest answer ${s.slowest} ms`);
        assert.deepStrictEqual(s.sequence, ["1.5.0", "1.4.2"]);
        assert.deepStrictEqual(await answer(url("staging")), baked("1.4.2", sha1));
        assert.deepStrictEqual(readyPods("staging"), [[REAL_NODE, `${repo}@${d1}`]]);
        // The first release's ReplicaSet is reused, so its revision moves from 1 to 3.
        assert.strictEqual(
            history("staging"),
            "deployment.apps/hello \nREVISION  CHANGE-CAUSE\n" +
                `2         image-release 1.5.0 ${d2.slice(0, 19)} (promoted from dev)\n` +
                `3         image-release 1.4.2 ${d1.slice(0, 19)} (promoted from dev)\n\n`,
        );
    });

    it("a broken release (never ready) fails up within the stack's rollout timeout, naming the Deployment and why, while the old Pod answers; rollback restores a clean state", async () => {
        // A release whose server never turns ready (READY=false in the image), pinned as a reviewed PR does.
        const broken = await pushServerImage(client, repo, {
            ...baked("1.6.0", sha1.slice(0, 7)),
            env: ["READY=false"],
            seed: r.id,
        });
        const file = path.join(dir, "stacks", "Pulumi.staging.yaml");
        fs.writeFileSync(
            file,
            fs
                .readFileSync(file, "utf8")
                .replace(/(image-release:digest:) sha256:[0-9a-f]{64}/, `$1 ${broken.indexDigest}`)
                .replace(/(image-release:version:) .*/, "$1 1.6.0")
                .replace(/(image-release:gitSha:) .*/, `$1 ${sha1.slice(0, 7)}`),
        );
        git(dir, ["commit", "-q", "-am", "staging runs 1.6.0"]);
        const s = await upUnderLoad("broken release 1.6.0", () => stacks.staging.up({ onOutput: log }));
        const ns = r.namespaces.staging;
        if (s.failed === undefined) {
            // pulumi-kubernetes 4.25's Deployment awaiter does not compare an apps/v1 Deployment's
            // observedGeneration with its generation: when the controller is slow to take the update (a
            // loaded machine), it reads the previous revision's status and reports success. `check` is the
            // line that catches it: it judges the cluster's own view, as a pipeline runs it after `up`.
            // Judged within 20 s (the check's rollout timeout, set for this look only).
            const text = fs.readFileSync(file, "utf8");
            fs.writeFileSync(
                file,
                afterNamespace(text, ["image-release:checks:", "  rollout: {timeoutSeconds: 20}"]),
            );
            const c = await cli(["check", "--stack", "staging"]);
            fs.writeFileSync(file, text);
            process.stdout.write(
                `\n  broken release: up reported success (the provider's race); check says:\n${c.stdout}`,
            );
            assert.strictEqual(c.code, 1, c.stdout);
            assert.match(c.stdout, /^FAILED rollout \(/m);
            assert.match(c.stdout, /Deployment\/hello/);
        } else {
            const err = (s.failed as Error).message;
            assert.ok(
                s.upSeconds < TIMEOUT + 60,
                `up took ${s.upSeconds} s to fail; the timeout is ${TIMEOUT} s`,
            );
            // The provider's own words, under the Deployment's name: it timed out, and its Pod never turned ready.
            const diagnostic = new RegExp(
                [
                    // The engine prints the stack's own "update failed" before or after it.
                    "",
                    "  kubernetes:apps/v1:Deployment \\(hello-deployment\\):",
                    "    error: 3 errors occurred:",
                    `    \t\\* the Kubernetes API server reported that "${ns}/hello" failed to fully initialize or become live: 'hello' timed out waiting to be Ready`,
                    "    \t\\* Minimum number of Pods to consider the application live was not attained",
                    `    \t\\* \\[Pod ${ns}/hello-[0-9a-z]+-[0-9a-z]+\\]: containers with unready status: \\[hello\\]`,
                    "",
                ].join("\n"),
            );
            assert.match(err, diagnostic);
        }
        assert.deepStrictEqual(s.failures, []);
        assert.deepStrictEqual(s.sequence, ["1.4.2"]);
        assert.deepStrictEqual(readyPods("staging"), [[REAL_NODE, `${repo}@${d1}`]]);

        assert.strictEqual((await pinAndMerge(["rollback", "--stack", "staging"])).digest, d1);
        await stacks.staging.up({ onOutput: log });
        // Clean: one ready Pod of 1.4.2, no broken one left, and the state matches the cluster.
        for (let i = 0; podsOf(ns, "app=hello").length > 1 && i < 60; i++) {
            await new Promise((res) => setTimeout(res, 500));
        }
        assert.deepStrictEqual(
            podsOf(ns, "app=hello").map((p) => [p.node, p.ready, p.imageID]),
            [[REAL_NODE, true, `${repo}@${d1}`]],
        );
        assert.deepStrictEqual(await answer(url("staging")), baked("1.4.2", sha1));
        await stacks.staging.refresh({ onOutput: log });
        await stacks.staging.preview({ onOutput: log, expectNoChanges: true });
    });
});
