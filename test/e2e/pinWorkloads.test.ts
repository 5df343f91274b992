import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent, LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";

const ROOT = path.join(__dirname, "..", "..");
const FIXTURE = path.join(ROOT, "test", "fixtures", "pinWorkloads");
const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);
const D3 = "sha256:" + "3".repeat(64);
const D4 = "sha256:" + "4".repeat(64);
/** Temp projects and state backends, removed after the suite. */
const temps: string[] = [];

/** What scripts/toolchain/env.sh and scripts/cluster-up.sh provide: the built engine and the local cluster. */
function engine(): { env: Record<string, string>; root: string } {
    const versions = fs.readFileSync(path.join(ROOT, "scripts", "toolchain", "versions.env"));
    const dir =
        process.env.IMAGE_RELEASE_TOOLCHAIN_DIR ??
        path.join(
            process.env.IMAGE_RELEASE_TOOLCHAIN_ROOT ??
                path.join(os.homedir(), ".cache", "image-release", "toolchain"),
            createHash("sha256").update(versions).digest("hex").slice(0, 12),
        );
    const stateDir = process.env.IMAGE_RELEASE_STATE_DIR ?? "/var/tmp/image-release-local";
    const kubeconfig = process.env.KUBECONFIG ?? path.join(stateDir, "cluster", "kubeconfig");
    // Part of `npm run e2e`, which builds the toolchain and starts the cluster first: never skipped.
    if (!fs.existsSync(path.join(dir, "bin", "pulumi")))
        throw new Error(`no engine in ${dir}: run the e2e through \`npm run e2e\` (scripts/toolchain.sh)`);
    if (!fs.existsSync(kubeconfig))
        throw new Error(
            `no cluster at ${kubeconfig}: run the e2e through \`npm run e2e\` (scripts/cluster-up.sh)`,
        );
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), "pin-workloads-state-"));
    temps.push(backend);
    return {
        root: dir,
        env: {
            PATH: `${path.join(dir, "bin")}:${process.env.PATH ?? ""}`,
            PULUMI_HOME: path.join(dir, "pulumi-home"),
            PULUMI_BACKEND_URL: `file://${backend}`,
            PULUMI_CONFIG_PASSPHRASE: "test-only-passphrase",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            KUBECONFIG: kubeconfig,
        },
    };
}

/** A project with a local Helm chart (a Deployment) and a YAML file (a CronJob), pinned by the transform. */
function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pin-workloads-"));
    temps.push(dir);
    fs.cpSync(FIXTURE, dir, { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: pin-workloads\nruntime: nodejs\nmain: index.ts\n");
    fs.writeFileSync(path.join(dir, "package.json"), '{ "name": "pin-workloads", "main": "index.ts" }\n');
    const compilerOptions = {
        strict: true,
        target: "ES2022",
        lib: ["ES2022"],
        module: "commonjs",
        esModuleInterop: true,
    };
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions }));
    const pin = (repo: string, digest: string, version: string) =>
        `{ repository: "127.0.0.1:5000/shop/${repo}", digest: "${digest}", version: "${version}", gitSha: "0123abc" }`;
    const program = [
        'import * as k8s from "@pulumi/kubernetes";',
        'import * as pulumi from "@pulumi/pulumi";',
        `import { pinWorkloads } from ${JSON.stringify(path.join(ROOT, "src"))};`,
        "const config = new pulumi.Config();",
        "pulumi.runtime.registerResourceTransform(",
        "    pinWorkloads(",
        `        { api: ${pin("api", D1, "1.4.2")}, worker: ${pin("worker", D2, "1.4.3")}, unused: ${pin("unused", D3, "0.1.0")} },`,
        '        { channel: config.get("channel"), allow: ["docker.io/library/busybox"] },',
        "    ),",
        ");",
        'new k8s.helm.v4.Chart("shop", { chart: "./chart", namespace: "default", values: { sidecar: config.require("sidecar") } });',
        'new k8s.yaml.v2.ConfigGroup("cron", { files: ["cron.yaml"] });',
        "",
    ];
    fs.writeFileSync(path.join(dir, "index.ts"), program.join("\n"));
    return dir;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The real engine (pulumi 3.248, kubernetes provider 4.25.0) runs the stack transform on the children a
 * `kubernetes:helm.sh/v4:Chart` and a `kubernetes:yaml/v2:ConfigGroup` register, in `preview` (which
 * changes nothing in the cluster). The mocks cannot show this: the provider registers those children.
 */
describe("e2e: pinWorkloads pins a Helm v4 Chart's and a yaml/v2 ConfigGroup's workloads under the real engine", function () {
    this.timeout(300_000);
    let e: ReturnType<typeof engine>;
    before(() => {
        e = engine();
    });
    after(() => {
        for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("dev: the chart's Deployment and the file's CronJob preview with repo@digest; an unused pin is warned about", async () => {
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName: "dev", workDir: project() },
            { envVars: e.env, pulumiCommand: await PulumiCommand.get({ root: e.root }) },
        );
        await stack.setConfig("sidecar", { value: `busybox@${D4}` });
        const inputs: Record<string, Json> = {};
        const result = await stack.preview({
            onEvent: (ev: EngineEvent) => {
                const m = ev.resourcePreEvent?.metadata;
                if (m?.new !== undefined) inputs[m.type] = m.new.inputs as Json;
            },
        });
        const d = inputs["kubernetes:apps/v1:Deployment"];
        assert.deepStrictEqual(
            (d.spec.template.spec.containers as Json[]).map((c) => c.image as string),
            [`127.0.0.1:5000/shop/api@${D1}`, `busybox@${D4}`],
        );
        assert.deepStrictEqual(d.spec.template.spec.initContainers[0].image, `127.0.0.1:5000/shop/api@${D1}`);
        assert.strictEqual(
            d.metadata.annotations["kubernetes.io/change-cause"],
            "image-release 1.4.2 sha256:111111111111",
        );
        assert.strictEqual(d.metadata.annotations.team, "shop");
        assert.strictEqual(d.spec.template.metadata.annotations["image-release/digest"], D1);
        const cj = inputs["kubernetes:batch/v1:CronJob"];
        assert.strictEqual(
            cj.spec.jobTemplate.spec.template.spec.containers[0].image,
            `127.0.0.1:5000/shop/worker@${D2}`,
        );
        assert.strictEqual(
            cj.spec.jobTemplate.spec.template.metadata.annotations["image-release/version"],
            "1.4.3",
        );
        assert.ok(
            result.stdout.includes(
                `warning: pinWorkloads: no workload in the stack runs unused (127.0.0.1:5000/shop/unused@${D3}); nothing was pinned to it`,
            ),
            result.stdout,
        );
    });

    it("prod: a chart image that is not a digest fails the preview with the resource, container, image and fix", async () => {
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName: "prod", workDir: project() },
            { envVars: e.env, pulumiCommand: await PulumiCommand.get({ root: e.root }) },
        );
        await stack.setConfig("channel", { value: "prod" });
        await stack.setConfig("sidecar", { value: "busybox:1.36" });
        const failure = await stack.preview().then(
            () => assert.fail("the preview passed"),
            (err: Error) => err.message,
        );
        // The CLI indents the lines of a multi-line diagnostic; the words are the transform's.
        for (const line of [
            'ReleaseRuleError: kubernetes:apps/v1:Deployment "shop:default/shop-api": an image the stack cannot deploy:',
            '- container "sidecar" image "busybox:1.36": docker.io/library/busybox is allowed, but only by digest; write it as docker.io/library/busybox@sha256:<64 hex>',
        ]) {
            assert.ok(failure.includes(line), failure);
        }
    });
});
