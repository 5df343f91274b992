import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Deployment, EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { hashContext } from "../../src/builder";
import {
    afterNamespace,
    deploymentImage,
    engineEnv,
    git,
    kubectl,
    kwokNamespace,
    projectCopy,
    registryDigest,
    registryTags,
    run,
    stack,
    timings,
    uniqueRun,
} from "./harness";
import {
    checkoutAt,
    commitAppThenProject,
    FIXTURE,
    forThisRun,
    imageState,
    providerRoot,
    serializedProvider,
    stateResources,
} from "./oldState";

const IMAGE = "pulumi-nodejs:dynamic:Resource::hello-image";
/** The last commit whose builder wrote the first layer format (one gzip stream per layer). */
const FIRST_LAYER_FORMAT = "a7d3a87";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment::hello-deployment";

/**
 * A dev stack that the code from before the src/build -> src/builder rename deployed, imported from
 * its `pulumi stack export` into a new backend and run with today's code. The engine runs a dynamic
 * resource's read and delete with the provider serialized in its stored outputs (the old code, whose
 * module paths name a checkout that is gone), and its diff, create and update with the program's.
 * The steps build on each other, in order. Alone:
 *   npm run e2e -- test/e2e/oldState.test.ts
 * (test/e2e/.mocharc.json names every e2e file, and mocha adds the files it is given to those).
 */
describe("e2e: a dev stack deployed before src/build became src/builder still updates and destroys", function () {
    this.timeout(900_000);
    const r = uniqueRun();
    const repo = r.repository;
    const ns = r.namespaces.dev;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-state-"));
    const logFile = path.join(stateDir, "engine.log");
    let fixture: Deployment;
    let oldOutputs: { digest: string; platformDigests: Record<string, string>; tags: string[] };
    let oldInputs: {
        dockerfile: string;
        platforms: string[];
        buildArgs: Record<string, string>;
        labels: Record<string, string>;
        version: string;
        gitSha: string;
        sourceDateEpoch: number;
        contextHash: string;
    };
    let oldProvider = "";
    let oldRoot = "";
    let dir = "";
    let appSha = "";
    let dev: Stack;

    const log = (s: string) => fs.appendFileSync(logFile, s);
    /** What each resource came out of one operation as (a refresh's too), by `type::name`. */
    const recorder = () => {
        const ops: Record<string, string> = {};
        const onEvent = (e: EngineEvent) => {
            const m = e.resOutputsEvent?.metadata;
            if (m) ops[`${m.type}::${m.urn.slice(m.urn.lastIndexOf("::") + 2)}`] = m.op;
        };
        return { ops, onEvent };
    };
    const exported = async () => imageState(await dev.exportStack());
    const deploymentGone = async () => {
        const left = await run("kubectl", ["get", "deployment", "hello", "-n", ns], dir);
        assert.deepStrictEqual(
            [left.code, left.stderr],
            [1, 'Error from server (NotFound): deployments.apps "hello" not found\n'],
        );
    };
    /** Imports the export again, then refreshes (see the refresh step for why). */
    const importAndRefresh = async () => {
        await dev.importStack(forThisRun(fixture, repo, ns));
        const rec = recorder();
        await dev.refresh({ onOutput: log, onEvent: rec.onEvent });
        return rec.ops;
    };

    before(() => {
        fixture = JSON.parse(fs.readFileSync(FIXTURE.file, "utf8")) as Deployment;
        const old = imageState(fixture);
        oldOutputs = old.outputs as typeof oldOutputs;
        oldInputs = old.inputs as typeof oldInputs;
        oldProvider = serializedProvider(old.outputs);
        oldRoot = providerRoot(oldProvider);
        dir = projectCopy(r);
        // The stack predates image-release:createNamespace: its namespace exists (kubectl below), and
        // this test compares the old state's plan alone.
        const devFile = path.join(dir, "stacks", "Pulumi.dev.yaml");
        fs.writeFileSync(
            devFile,
            afterNamespace(fs.readFileSync(devFile, "utf8"), ["image-release:createNamespace: false"]),
        );
        appSha = commitAppThenProject(dir, "image-release today");
        // The fixture's app exits at once (it predates the example server): its Pods run on kwok's node.
        kwokNamespace(ns);
    });

    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: t.title, seconds: (t.duration ?? 0) / 1000 });
    });

    after(() => {
        process.stdout.write(`\n  e2e run ${r.id}: project ${dir}, engine log ${logFile}\n`);
    });

    it("fixture: fdfa4f6's dev stack, whose serialized providers load src/build from a checkout that is gone", () => {
        assert.ok(!fs.existsSync(oldRoot), `${oldRoot} exists: the fixture would not prove anything`);
        for (const m of ["build", "registry", "signing"]) {
            assert.ok(
                oldProvider.includes(`"${oldRoot}/src/${m}"`),
                `the old provider does not name src/${m}`,
            );
        }
        // The old loader is inlined in the state (its fallback `${cwd}/src/<name>` with it), not required
        // from the old checkout: the old provider must deserialize without it.
        assert.ok(oldProvider.includes("/src/${name}`"), "the old provider has no inlined loader");
        assert.ok(!fs.existsSync(path.join(dir, "src", "build")), "this copy still has src/build");
        assert.ok(
            fs.existsSync(path.join(dir, "src", "builder", "index.ts")),
            "this copy has no src/builder",
        );
        // The context is unchanged: this copy's app commit is the one the image was built from, and the
        // component's context hash (what decides a rebuild) is the one the state holds.
        assert.strictEqual(appSha, oldInputs.gitSha);
        assert.strictEqual(
            hashContext(path.join(dir, "examples", "hello"), oldInputs.dockerfile, oldInputs.buildArgs),
            oldInputs.contextHash,
        );
    });

    it("registry: the builder of the first layer format, from this copy's context, pushes the very index the old code pushed", async () => {
        // The run's own repository must hold what the state says was pushed (the fixture's registry may
        // be gone). Builds are reproducible per layer format, and 2.1.0 changed the format (block gzip):
        // the last commit of the first format rebuilds the same bytes, not a stand-in.
        const builder = checkoutAt(FIRST_LAYER_FORMAT, "image-release-format1-");
        const inputs = {
            context: path.join(dir, "examples", "hello"),
            dockerfile: oldInputs.dockerfile,
            repository: repo,
            platforms: oldInputs.platforms,
            buildArgs: oldInputs.buildArgs,
            labels: oldInputs.labels,
            version: oldInputs.version,
            gitSha: oldInputs.gitSha,
            sourceDateEpoch: oldInputs.sourceDateEpoch,
            tags: oldOutputs.tags,
            cache: false,
        };
        const script = [
            'const { publishImage } = require("./src/builder");',
            'const { RegistryClient } = require("./src/registry");',
            "const o = JSON.parse(process.env.PUBLISH);",
            "publishImage({ ...o, client: new RegistryClient() }).then((r) => process.stdout.write(JSON.stringify(r)));",
        ].join("\n");
        const out = await run("node", ["-r", "ts-node/register/transpile-only", "-e", script], builder, {
            PUBLISH: JSON.stringify(inputs),
        });
        fs.rmSync(builder, { recursive: true, force: true });
        assert.strictEqual(out.code, 0, out.stderr);
        const published = JSON.parse(out.stdout) as {
            built: boolean;
            digest: string;
            platformDigests: unknown;
        };
        assert.deepStrictEqual(
            [published.built, published.digest, published.platformDigests],
            [true, oldOutputs.digest, oldOutputs.platformDigests],
        );
        for (const t of oldOutputs.tags) assert.strictEqual(await registryDigest(repo, t), oldOutputs.digest);
    });

    it("import: pulumi stack import takes the export into a new file backend as it is", async () => {
        dev = await stack(dir, "dev", stateDir);
        await dev.importStack(forThisRun(fixture, repo, ns));
        const image = await exported();
        assert.strictEqual(serializedProvider(image.outputs), oldProvider);
        assert.strictEqual(serializedProvider(image.inputs), oldProvider);
        assert.strictEqual(image.id, `${repo}@${oldOutputs.digest}`);
    });

    it("refresh: the old serialized provider still loads; the Deployment this cluster never held leaves the state", async () => {
        // The export records a Deployment in the cluster the fixture was made in, under another namespace;
        // this cluster never held it. Without a refresh, `up` would diff against that record, find nothing
        // to change and create nothing. The refresh asks the cluster and drops it. The image's refresh is
        // the old provider's read (it has none, so the state is kept): the old code must still load.
        const rec = recorder();
        const refresh = await dev.refresh({ onOutput: log, onEvent: rec.onEvent });
        assert.deepStrictEqual([rec.ops[IMAGE], rec.ops[DEPLOYMENT]], ["same", "delete"]);
        assert.deepStrictEqual(refresh.summary.resourceChanges, { delete: 1, same: 4 });
        const after = await dev.exportStack();
        assert.ok(!stateResources(after).some((x) => x.type === "kubernetes:apps/v1:Deployment"));
        assert.strictEqual(serializedProvider(imageState(after).outputs), oldProvider);
    });

    it("up: today's code deploys the fixture's digest; the unchanged context is neither built nor pushed", async () => {
        const tags = await registryTags(repo);
        const rec = recorder();
        const up = await dev.up({ onOutput: log, onEvent: rec.onEvent });
        assert.strictEqual(rec.ops[IMAGE], "same");
        assert.strictEqual(rec.ops[DEPLOYMENT], "create");
        assert.deepStrictEqual(up.summary.resourceChanges, { create: 1, same: 4 });
        assert.strictEqual(up.outputs.digest.value, oldOutputs.digest);
        assert.deepStrictEqual(up.outputs.tags.value, oldOutputs.tags);
        assert.deepStrictEqual(await registryTags(repo), tags);
        assert.strictEqual(deploymentImage(ns), `${repo}@${oldOutputs.digest}`);
        assert.strictEqual(
            kubectl(["rollout", "status", "deployment/hello", "-n", ns, "--timeout=60s"]).trim(),
            'deployment "hello" successfully rolled out',
        );
        // A `same` step takes the program's inputs and keeps the stored outputs: the next delete of
        // the image runs the old provider, the next diff and update the new one.
        const image = await exported();
        assert.strictEqual(serializedProvider(image.outputs), oldProvider);
        assert.strictEqual(providerRoot(serializedProvider(image.inputs)), dir);
        // Today's program runs from its build (scripts/e2e.sh runs npm run build; bin/program.js).
        assert.ok(serializedProvider(image.inputs).includes(`"${dir}/dist/builder"`));
    });

    it("destroy: the old serialized provider deletes the image; the Deployment goes, every tag stays", async () => {
        // The engine deserializes the provider stored in the image's outputs (fdfa4f6's) and runs its
        // delete, which leaves the registry alone (deleteFromRegistry is unset) and so loads no module.
        const tags = await registryTags(repo);
        const rec = recorder();
        await dev.destroy({ onOutput: log, onEvent: rec.onEvent });
        assert.deepStrictEqual([rec.ops[IMAGE], rec.ops[DEPLOYMENT]], ["delete", "delete"]);
        await deploymentGone();
        assert.deepStrictEqual(await registryTags(repo), tags);
        assert.strictEqual(await registryDigest(repo, oldOutputs.digest), oldOutputs.digest);
        assert.deepStrictEqual(stateResources(await dev.exportStack()), []);
    });

    it("update: imported again, a changed context rebuilds through today's provider; then destroy", async () => {
        const ops = await importAndRefresh();
        assert.deepStrictEqual([ops[IMAGE], ops[DEPLOYMENT]], ["same", "delete"]);
        // A new release of the app, as a user makes one.
        const cfg = await run(
            "pulumi",
            ["config", "set", "--stack", "dev", "image-release:version", "1.4.3"],
            dir,
            engineEnv(stateDir),
        );
        assert.strictEqual(cfg.code, 0, cfg.stderr);
        fs.appendFileSync(path.join(dir, "examples", "hello", "Dockerfile"), "# 1.4.3: a new release\n");
        git(dir, ["commit", "-q", "-am", "hello 1.4.3"]);
        const sha2 = git(dir, ["rev-parse", "HEAD"]).trim();

        const rec = recorder();
        const up = await dev.up({ onOutput: log, onEvent: rec.onEvent });
        assert.deepStrictEqual([rec.ops[IMAGE], rec.ops[DEPLOYMENT]], ["update", "create"]);
        const d2 = up.outputs.digest.value as string;
        assert.match(d2, /^sha256:[0-9a-f]{64}$/);
        assert.notStrictEqual(d2, oldOutputs.digest);
        const tags = ["1.4.3", "1.4", "1", `git-${sha2.slice(0, 7)}`, "dev"];
        assert.deepStrictEqual(up.outputs.tags.value, tags);
        for (const t of tags) assert.strictEqual(await registryDigest(repo, t), d2, `tag ${t}`);
        for (const t of ["1.4.2", `git-${oldInputs.gitSha.slice(0, 7)}`]) {
            assert.strictEqual(await registryDigest(repo, t), oldOutputs.digest, `tag ${t}`);
        }
        assert.strictEqual(deploymentImage(ns), `${repo}@${d2}`);
        // The update wrote today's provider into the outputs: a later delete runs today's code.
        const image = await exported();
        assert.strictEqual(providerRoot(serializedProvider(image.outputs)), dir);
        assert.ok(serializedProvider(image.outputs).includes(`"${dir}/dist/builder"`));

        const before = await registryTags(repo);
        await dev.destroy({ onOutput: log });
        await deploymentGone();
        assert.deepStrictEqual(await registryTags(repo), before);
        assert.deepStrictEqual(stateResources(await dev.exportStack()), []);
    });
});
