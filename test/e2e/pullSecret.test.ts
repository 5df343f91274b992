import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { RegistryClient } from "../../src/registry";
import { AUTH_CREDS, TestImage } from "../fixtures/registry/testImage";
import { pushServerImage } from "../fixtures/registry/serverImage";
import {
    deploymentImage,
    engineEnv,
    expectFailure,
    git,
    kubectl,
    podsOf,
    projectCopy,
    REAL_NODE,
    run,
    timings,
    uniqueRun,
} from "./harness";

const HOST = "127.0.0.1:5001";
const KEY = `image-release:pullCredentials["${HOST}"]`;
const SECRET = "image-release-pull";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every resource of the exported state whose type is `type`. */
function resourcesOf(state: Json, type: string): Json[] {
    return (state.deployment.resources as Json[]).filter((r) => r.type === type);
}

/**
 * Issue 17 item 3 under a real `pulumi up`: a staging stack that pulls from the htpasswd registry
 * (127.0.0.1:5001) holds a pull credential as a secret config value. `up` makes the namespace's
 * `kubernetes.io/dockerconfigjson` Secret from it, the pinned workloads reference it, and neither the
 * state nor the engine's output ever holds the password in clear.
 */
describe("e2e: a 5001 stack's pull Secret, made from a secret config value", function () {
    this.timeout(600_000);
    const r = uniqueRun();
    const repo = `${HOST}/e2e-${r.id}/hello`;
    const ns = r.namespaces.staging;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-pull-"));
    const logFile = path.join(stateDir, "engine.log");
    const authed = new RegistryClient({ credentials: { [HOST]: AUTH_CREDS } });
    /** Everything the engine printed, for the "never the password" checks. */
    let printed = "";
    const log = (s: string) => {
        printed += s;
        fs.appendFileSync(logFile, s);
    };
    let dir = "";
    let staging: Stack;
    let image: TestImage;
    const stagingFile = () => path.join(dir, "stacks", "Pulumi.staging.yaml");
    /** The forms the password could leak in: as written, in `auth`, and as the Secret's base64 data. */
    const leaks = () => {
        const auth = Buffer.from(`${AUTH_CREDS.username}:${AUTH_CREDS.password}`).toString("base64");
        const config = `{"auths":{"${HOST}":{"username":"${AUTH_CREDS.username}","password":"${AUTH_CREDS.password}","auth":"${auth}"}}}`;
        return [AUTH_CREDS.password, auth, Buffer.from(config).toString("base64")];
    };

    before(async () => {
        dir = projectCopy(r);
        // The example server as staging's pin says (1.4.2, 0123abc): the node runs it, the Job too.
        image = await pushServerImage(authed, repo, {
            app: "hello",
            version: "1.4.2",
            gitSha: "0123abc",
            seed: r.id,
        });
        // staging pins the image on 5001 (the deployer is logged in there through DOCKER_CONFIG).
        const text = fs
            .readFileSync(stagingFile(), "utf8")
            .replace(`image-release:repository: ${r.repository}`, `image-release:repository: ${repo}`)
            .replace(/(image-release:digest:) sha256:[0-9a-f]{64}/, `$1 ${image.indexDigest}`);
        fs.writeFileSync(stagingFile(), text);
        git(dir, ["commit", "-q", "-am", "staging pulls from 5001"]);
        const docker = fs.mkdtempSync(path.join(stateDir, "docker-"));
        const login = Buffer.from(`${AUTH_CREDS.username}:${AUTH_CREDS.password}`).toString("base64");
        fs.writeFileSync(
            path.join(docker, "config.json"),
            JSON.stringify({ auths: { [HOST]: { auth: login } } }),
        );
        staging = await LocalWorkspace.createOrSelectStack(
            { stackName: "staging", workDir: dir },
            { envVars: { ...engineEnv(stateDir), DOCKER_CONFIG: docker } },
        );
    });

    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: `pull secret: ${t.title}`, seconds: (t.duration ?? 0) / 1000 });
    });

    after(() => {
        process.stdout.write(`\n  e2e pull-secret run ${r.id}: project ${dir}, engine log ${logFile}\n`);
    });

    it("pulumi config set --secret --path writes the password to the stack file only as ciphertext", async () => {
        await staging.setConfig(`${KEY}.username`, { value: AUTH_CREDS.username }, true);
        await staging.setConfig(`${KEY}.password`, { value: AUTH_CREDS.password, secret: true }, true);
        const text = fs.readFileSync(stagingFile(), "utf8");
        assert.ok(!text.includes(AUTH_CREDS.password), text);
        assert.match(
            text,
            new RegExp(
                `image-release:pullCredentials:\\n\\s+${HOST.replace(/\./g, "\\.")}:\\n\\s+username: ${AUTH_CREDS.username}\\n\\s+password:\\n\\s+secure: v1:\\S+\\n`,
            ),
        );
    });

    it("up: the namespace's dockerconfigjson Secret holds the configured credential; the Deployment and the Job reference it", async () => {
        // --diff prints every input of what it creates: the Secret's data shows only as [secret].
        const up = await staging.up({ onOutput: log, diff: true });
        assert.match(printed, /data\s*: \[secret\]/);
        assert.strictEqual(up.summary.result, "succeeded");
        assert.strictEqual(deploymentImage(ns), `${repo}@${image.indexDigest}`);
        const get = (kind: string, name: string, jsonpath: string) =>
            kubectl(["get", kind, name, "-n", ns, "-o", `jsonpath=${jsonpath}`]);
        assert.strictEqual(get("secret", SECRET, "{.type}"), "kubernetes.io/dockerconfigjson");
        const data = get("secret", SECRET, "{.data.\\.dockerconfigjson}");
        const auths = (JSON.parse(Buffer.from(data, "base64").toString("utf8")) as Json).auths as Json;
        const auth = Buffer.from(`${AUTH_CREDS.username}:${AUTH_CREDS.password}`).toString("base64");
        assert.deepStrictEqual(auths, { [HOST]: { ...AUTH_CREDS, auth } });
        const reference = `[{"name":"${SECRET}"}]`;
        assert.strictEqual(get("deployment", "hello", "{.spec.template.spec.imagePullSecrets}"), reference);
        const jobs = kubectl([
            "get",
            "jobs",
            "-n",
            ns,
            "-o",
            "jsonpath={.items[*].spec.template.spec.imagePullSecrets}",
        ]);
        assert.strictEqual(jobs, reference);
        // The real node pulled both from 5001 with the Secret: the server and the training run.
        const ref = `${repo}@${image.indexDigest}`;
        const live = podsOf(ns, "app=hello").filter((p) => !p.deleting);
        assert.deepStrictEqual(
            live.map((p) => [p.node, p.ready, p.imageID]),
            [[REAL_NODE, true, ref]],
        );
        const job = kubectl(["get", "jobs", "-n", ns, "-o", "jsonpath={.items[0].metadata.name}"]);
        const [jobPod] = podsOf(ns, `job-name=${job}`);
        assert.deepStrictEqual([jobPod.node, jobPod.phase, jobPod.imageID], [REAL_NODE, "Succeeded", ref]);
    });

    it("the state holds the Secret's data only as ciphertext, and no output of the engine holds the password", async () => {
        // `pulumi stack export` itself: the Automation API's exportStack adds --show-secrets.
        const exported = await run(
            "pulumi",
            ["stack", "export", "--stack", "staging"],
            dir,
            engineEnv(stateDir),
        );
        assert.strictEqual(exported.code, 0, exported.stderr);
        const state = JSON.parse(exported.stdout) as Json;
        const [secret] = resourcesOf(state, "kubernetes:core/v1:Secret");
        for (const side of ["inputs", "outputs"]) {
            const d = secret[side].data as Json;
            assert.deepStrictEqual(
                Object.keys(d).sort(),
                ["4dabf18193072939515e22adb298388d", "ciphertext"],
                side,
            );
            assert.ok(typeof d.ciphertext === "string" && d.ciphertext.length > 0, side);
        }
        const all = JSON.stringify(state);
        for (const leak of leaks()) assert.ok(!all.includes(leak), `the state holds ${leak.slice(0, 4)}…`);
        await staging.preview({ onOutput: log, expectNoChanges: true, diff: true });
        for (const leak of leaks())
            assert.ok(!printed.includes(leak), `the engine printed ${leak.slice(0, 4)}…`);
    });

    it("without the credential, up of a digest the node never pulled fails within image-release:rolloutTimeoutSeconds, naming the registry and the 401; the running Pod stays", async () => {
        const ref = `${repo}@${image.indexDigest}`;
        const next = await pushServerImage(authed, repo, {
            app: "hello",
            version: "1.4.3",
            gitSha: "0123abc",
            seed: `${r.id}-next`,
        });
        await staging.removeConfig("image-release:pullCredentials");
        await staging.setConfig("image-release:rolloutTimeoutSeconds", { value: "30" });
        fs.writeFileSync(
            stagingFile(),
            fs
                .readFileSync(stagingFile(), "utf8")
                .replace(/(image-release:digest:) sha256:[0-9a-f]{64}/, `$1 ${next.indexDigest}`)
                .replace(/(image-release:version:) .*/, "$1 1.4.3"),
        );
        git(dir, ["commit", "-q", "-am", "staging runs 1.4.3, without a pull credential"]);
        const started = Date.now();
        const err = await expectFailure(staging.up({ onOutput: log }));
        const seconds = (Date.now() - started) / 1000;
        timings.push({ step: "pull secret: up without the credential fails after", seconds });
        assert.ok(seconds < 90, `up took ${seconds}s to fail with a 30 s timeout`);
        // The provider's words under the Deployment's name: the timeout, and the kubelet's pull error
        // (ErrImagePull, or the back-off after it) naming the registry and its 401.
        const next5001 = `${repo}@${next.indexDigest}`.replace(/[.]/g, "\\.");
        const diagnostic = new RegExp(
            [
                // The engine prints the stack's own "update failed" before or after it.
                "",
                "  kubernetes:apps/v1:Deployment \\(hello-deployment\\):",
                "    error: 3 errors occurred:",
                `    \t\\* the Kubernetes API server reported that "${ns}/hello" failed to fully initialize or become live: 'hello' timed out waiting to be Ready`,
                "    \t\\* Minimum number of Pods to consider the application live was not attained",
                `    \t\\* \\[Pod ${ns}/hello-[0-9a-z]+-[0-9a-z]+\\]: containers with unready status: \\[hello\\]` +
                    `\\[(ErrImagePull|ImagePullBackOff)\\] (Back-off pulling image "${next5001}": ErrImagePull: )?` +
                    `failed to pull and unpack image "${next5001}": failed to resolve reference "${next5001}": ` +
                    `pulling from host 127\\.0\\.0\\.1:5001 failed with status code \\[manifests ${next.indexDigest}\\]: 401 Unauthorized`,
                "",
            ].join("\n"),
        );
        assert.match(err, diagnostic);
        // The old Pod keeps running what it pulled: a rollout never drops it before a new one is ready.
        const live = podsOf(ns, "app=hello").filter((p) => p.ready);
        assert.deepStrictEqual(
            live.map((p) => [p.node, p.imageID]),
            [[REAL_NODE, ref]],
        );
    });
});
