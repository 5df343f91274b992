import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { RegistryClient } from "../src/registry";
import { pushTestImage } from "../test/fixtures/registry/testImage";
import {
    CONSUMER_TSCONFIG,
    kubectl,
    kwokNamespace,
    projectCopy,
    SIGNING,
    uniqueRun,
} from "../test/e2e/harness";
import { parsePrivateKey, signDigest } from "../src/signing";
import { Figure, list, log, median, timed } from "./measure";
import { handWrittenProgram, StateResource } from "./plainProgram";

const RUNS = 3;

export interface OverheadBenchResult {
    /** Wall seconds of each no-op `pulumi up --stack prod` of this project, run from its dist/ build. */
    prodSeconds: number[];
    /** The same stack run from a copy with no build: src/ type-checked by ts-node, as 4.0.0 always did. */
    unbuiltSeconds: number[];
    /** The same Kubernetes resources and digest literal in a TypeScript program of `@pulumi/kubernetes` alone. */
    plainSeconds: number[];
    /** An empty TypeScript program. */
    emptySeconds: number[];
    ratio: number;
    plainRatio: number;
    resources: number;
    plainResources: number;
    /** The hand-written program's type tokens, for the figure's detail. */
    plainTypes: string[];
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

/** A TypeScript project beside the bench's: Pulumi.yaml (type-checked by ts-node), tsconfig, one index.ts. */
function tsProject(root: string, name: string, program: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `image-release-bench-${name}-`));
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`,
    );
    fs.writeFileSync(path.join(dir, "index.ts"), program);
    fs.writeFileSync(path.join(dir, "package.json"), `{ "name": "${name}", "private": true }\n`);
    fs.writeFileSync(path.join(dir, "tsconfig.json"), CONSUMER_TSCONFIG);
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

function resourceCount(changes: Record<string, number> | undefined): number {
    return Object.values(changes ?? {}).reduce((a, b) => a + b, 0);
}

/** Interleaved no-op ups, RUNS of each stack; any change fails the bench. */
async function noOpUps(stacks: Record<string, Stack>): Promise<Record<string, number[]>> {
    const seconds: Record<string, number[]> = Object.fromEntries(Object.keys(stacks).map((k) => [k, []]));
    for (let i = 0; i < RUNS; i++) {
        for (const [name, s] of Object.entries(stacks)) {
            const t = await timed(() => s.up());
            const changes = Object.keys(t.value.summary.resourceChanges ?? {});
            if (changes.join() !== "same")
                throw new Error(`a no-op up of ${name} changed something: ${changes.join(", ")}`);
            seconds[name].push(t.seconds);
        }
    }
    return seconds;
}

/**
 * Issue 8's and issue 20's overhead figures: no-op `pulumi up --stack prod` of this project (pin and
 * signature checks, the dynamic provider of its channel tag, the Kubernetes provider), run from the
 * dist/ that `npm run build` made, against (a) a hand-written TypeScript program of `@pulumi/kubernetes`
 * alone that declares the same Kubernetes resources with the inputs prod's state records (the digest
 * literal among them) and (b) an empty TypeScript program. The same prod stack also runs from a copy
 * without a build (src/ type-checked, as every start did before). All on one engine, backend and
 * machine, interleaved in one run.
 */
export async function benchPulumiOverhead(root: string): Promise<OverheadBenchResult> {
    const prev = { ...process.env };
    const env = engineEnvironment(root);
    // A type-checked program is what is measured: the bench's own ts-node setting must not leak into it.
    delete process.env.TS_NODE_TRANSPILE_ONLY;
    Object.assign(process.env, env);
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-state-"));
    const envVars = { ...env, PULUMI_BACKEND_URL: `file://${state}` };
    const dirs: string[] = [state];
    const namespaces: string[] = [];
    try {
        log("pulumi overhead: npm run build (bin/program.js runs dist/ while it matches src/)");
        execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
        const r = uniqueRun();
        const client = new RegistryClient({ retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 500 } });
        log(`pulumi overhead: prod pinned to a test index in ${r.repository}`);
        const img = await pushTestImage(client, r.repository, `bench-${r.id}`);
        // prod requires a signed digest (its default) and trusts the test key: sign it as a release would.
        const key = parsePrivateKey(fs.readFileSync(SIGNING.key, "utf8"), SIGNING.password, SIGNING.key);
        await signDigest(client, r.repository, img.indexDigest, key);
        const dir = projectCopy(r);
        dirs.push(dir);
        const prodFile = path.join(dir, "stacks", "Pulumi.prod.yaml");
        fs.writeFileSync(
            prodFile,
            fs
                .readFileSync(prodFile, "utf8")
                .replace(/^(\s*image-release:digest:) .*$/m, `$1 ${img.indexDigest}`),
        );
        // kwok's node runs the test image's Pods: the real node would try to start them.
        kwokNamespace(r.namespaces.prod);
        namespaces.push(r.namespaces.prod);
        const prod = await LocalWorkspace.createOrSelectStack(
            { stackName: "prod", workDir: dir },
            { envVars },
        );
        const created = await prod.up();
        // The same stack from a copy of the project without dist/: what a checkout that never built runs.
        const unbuiltDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-unbuilt-"));
        dirs.push(unbuiltDir);
        execFileSync("cp", ["-a", `${dir}/.`, unbuiltDir]);
        fs.rmSync(path.join(unbuiltDir, "dist"), { recursive: true, force: true });
        const unbuilt = await LocalWorkspace.createOrSelectStack(
            { stackName: "prod", workDir: unbuiltDir },
            { envVars },
        );

        const plainNs = `${r.namespaces.prod}-plain`;
        kwokNamespace(plainNs);
        namespaces.push(plainNs);
        const resources = ((await prod.exportStack()).deployment.resources ?? []) as StateResource[];
        const plain = handWrittenProgram(resources, r.namespaces.prod, plainNs);
        if (!plain.source.includes(img.indexDigest)) {
            throw new Error(`the hand-written program does not carry the digest ${img.indexDigest}`);
        }
        const plainDir = tsProject(root, "plain", plain.source);
        dirs.push(plainDir);
        const plainStack = await LocalWorkspace.createOrSelectStack(
            { stackName: "plain", workDir: plainDir },
            { envVars },
        );
        const plainCreated = await plainStack.up();

        const emptyDir = tsProject(root, "empty", "export const nothing = 0;\n");
        dirs.push(emptyDir);
        const empty = await LocalWorkspace.createOrSelectStack(
            { stackName: "empty", workDir: emptyDir },
            { envVars },
        );
        await empty.up();

        log(`pulumi overhead: ${RUNS} no-op ups of each, interleaved`);
        const s = await noOpUps({ prod, unbuilt, plain: plainStack, empty });
        await plainStack.destroy();
        await prod.destroy();
        return {
            prodSeconds: s.prod,
            unbuiltSeconds: s.unbuilt,
            plainSeconds: s.plain,
            emptySeconds: s.empty,
            ratio: median(s.prod) / median(s.empty),
            plainRatio: median(s.prod) / median(s.plain),
            resources: resourceCount(created.summary.resourceChanges),
            plainResources: resourceCount(plainCreated.summary.resourceChanges),
            plainTypes: plain.types,
        };
    } finally {
        process.env = prev;
        for (const ns of namespaces) {
            try {
                kubectl(["delete", "namespace", ns, "--wait=false"]);
            } catch {
                // Already gone: a destroy that deleted the stack's own Namespace.
            }
        }
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
}

/** 5 and 5b: the no-op `up` of prod against an empty program and against a hand-written one. */
export function overheadFigures(o: OverheadBenchResult): Figure[] {
    const prod =
        `prod (${o.resources} resources, from dist/) median ${median(o.prodSeconds).toFixed(2)} s ` +
        `[${list(o.prodSeconds)}]; the same stack with no build (src/ type-checked by ts-node) median ` +
        `${median(o.unbuiltSeconds).toFixed(2)} s [${list(o.unbuiltSeconds)}]`;
    return [
        {
            id: "pulumi.noOpOverhead",
            name: "5  no-op pulumi up: prod / empty program",
            value: o.ratio,
            display: `${o.ratio.toFixed(2)}x`,
            goal: "<= 1.5x",
            pass: o.ratio <= 1.5,
            detail:
                `${prod} vs empty program median ${median(o.emptySeconds).toFixed(2)} s ` +
                `[${list(o.emptySeconds)}], same engine and backend, interleaved`,
        },
        {
            id: "pulumi.noOpVsPlain",
            name: "5b no-op pulumi up: prod / same resources in @pulumi/kubernetes alone",
            value: o.plainRatio,
            display: `${o.plainRatio.toFixed(2)}x`,
            goal: "<= 1.2x",
            pass: o.plainRatio <= 1.2,
            detail:
                `${prod} vs the hand-written TypeScript program (${o.plainResources} resources: ` +
                `${o.plainTypes.join(", ")}; prod's recorded inputs and digest literal, its own namespace) ` +
                `median ${median(o.plainSeconds).toFixed(2)} s [${list(o.plainSeconds)}]`,
        },
    ];
}
