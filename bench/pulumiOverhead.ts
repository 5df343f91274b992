import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { RegistryClient } from "../src/registry";
import { pushTestImage } from "../test/fixtures/registry/testImage";
import { CONSUMER_TSCONFIG, kubectl, projectCopy, SIGNING, uniqueRun } from "../test/e2e/harness";
import { parsePrivateKey, signDigest } from "../src/signing";
import { log, median, timed } from "./measure";

const RUNS = 3;

export interface OverheadBenchResult {
    /** Median wall seconds of a no-op `pulumi up --stack prod` of this project. */
    prodSeconds: number[];
    /** Median wall seconds of a no-op `pulumi up` of an empty TypeScript program. */
    emptySeconds: number[];
    ratio: number;
    resources: number;
}

/**
 * What the real-engine runs need, as scripts/e2e.sh sets it up: the toolchain's env and the local
 * cluster's kubeconfig. A missing piece is an error that says how to get it, never a silent skip.
 */
function engineEnvironment(root: string): Record<string, string> {
    const script = `. "${root}/scripts/toolchain/env.sh" && printf '%s\\n%s\\n%s' "$TOOLCHAIN_DIR" "$PATH" "$PULUMI_HOME"`;
    const [dir, pathVar, home] = execFileSync("bash", ["-c", script], { encoding: "utf8" }).split("\n");
    const kubeconfig = path.join(
        process.env.IMAGE_RELEASE_STATE_DIR ?? "/var/tmp/image-release-local",
        "cluster",
        "kubeconfig",
    );
    if (!fs.existsSync(path.join(dir, "bin", "pulumi"))) {
        throw new Error(`no Pulumi toolchain in ${dir}: run scripts/toolchain.sh (or npm run e2e) first`);
    }
    if (!fs.existsSync(kubeconfig)) {
        throw new Error(
            `no local cluster (${kubeconfig} is missing): run scripts/cluster-up.sh (or npm run e2e) first`,
        );
    }
    return {
        PATH: pathVar,
        PULUMI_HOME: home,
        KUBECONFIG: kubeconfig,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_CONFIG_PASSPHRASE: "bench-only-passphrase",
    };
}

async function noOpUps(s: Stack): Promise<{ seconds: number[]; resources: number }> {
    const first = await s.up();
    const resources = Object.values(first.summary.resourceChanges ?? {}).reduce((a, b) => a + b, 0);
    const seconds: number[] = [];
    for (let i = 0; i < RUNS; i++) {
        const t = await timed(() => s.up());
        const changes = Object.keys(t.value.summary.resourceChanges ?? {});
        if (changes.join() !== "same") throw new Error(`a no-op up changed something: ${changes.join(", ")}`);
        seconds.push(t.seconds);
    }
    return { seconds, resources };
}

/**
 * Issue 8's overhead figure: a no-op `pulumi up --stack prod` of this project (registry check, two
 * dynamic providers, the Kubernetes provider) against a no-op `pulumi up` of an empty TypeScript
 * program, both on the same engine, backend and machine, interleaved in one run.
 */
export async function benchPulumiOverhead(root: string): Promise<OverheadBenchResult> {
    const prev = { ...process.env };
    const env = engineEnvironment(root);
    Object.assign(process.env, env);
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-state-"));
    const envVars = { ...env, PULUMI_BACKEND_URL: `file://${state}` };
    try {
        const r = uniqueRun();
        const client = new RegistryClient({ retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 500 } });
        log(`pulumi overhead: prod pinned to a test index in ${r.repository}`);
        const img = await pushTestImage(client, r.repository, `bench-${r.id}`);
        // prod requires a signed digest (its default) and trusts the test key: sign it as a release would.
        const key = parsePrivateKey(fs.readFileSync(SIGNING.key, "utf8"), SIGNING.password, SIGNING.key);
        await signDigest(client, r.repository, img.indexDigest, key);
        const dir = projectCopy(r);
        const prodFile = path.join(dir, "stacks", "Pulumi.prod.yaml");
        fs.writeFileSync(
            prodFile,
            fs
                .readFileSync(prodFile, "utf8")
                .replace(/^(\s*image-release:digest:) .*$/m, `$1 ${img.indexDigest}`),
        );
        kubectl(["create", "namespace", r.namespaces.prod]);
        const prod = await LocalWorkspace.createOrSelectStack(
            { stackName: "prod", workDir: dir },
            { envVars },
        );

        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-empty-"));
        fs.writeFileSync(
            path.join(empty, "Pulumi.yaml"),
            "name: empty\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
        );
        fs.writeFileSync(path.join(empty, "index.ts"), "export const nothing = 0;\n");
        fs.writeFileSync(path.join(empty, "package.json"), '{ "name": "empty", "private": true }\n');
        fs.writeFileSync(path.join(empty, "tsconfig.json"), CONSUMER_TSCONFIG);
        fs.symlinkSync(path.join(root, "node_modules"), path.join(empty, "node_modules"));
        const blank = await LocalWorkspace.createOrSelectStack(
            { stackName: "empty", workDir: empty },
            { envVars },
        );

        log(`pulumi overhead: ${RUNS} no-op ups of each (after one up that creates)`);
        const p = await noOpUps(prod);
        const e = await noOpUps(blank);
        await prod.destroy();
        kubectl(["delete", "namespace", r.namespaces.prod, "--wait=false"]);
        return {
            prodSeconds: p.seconds,
            emptySeconds: e.seconds,
            ratio: median(p.seconds) / median(e.seconds),
            resources: p.resources,
        };
    } finally {
        process.env = prev;
        fs.rmSync(state, { recursive: true, force: true });
    }
}
