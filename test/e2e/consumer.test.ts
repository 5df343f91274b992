import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import {
    CONSUMER_TSCONFIG,
    engineEnv,
    git,
    kubectl,
    projectCopy,
    registryDigest,
    ROOT,
    run,
    timings,
    uniqueRun,
} from "./harness";

/** The version of a package as this checkout's lockfile installed it. */
function installed(pkg: string): string {
    return (
        JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as {
            version: string;
        }
    ).version;
}

/**
 * As users get it: `npm pack` the library, install the tarball into a project of its own (its own
 * Pulumi.yaml, package.json and program), and `pulumi up` that project against the same cluster.
 */
describe("e2e: the packed library in a consumer project", function () {
    this.timeout(900_000);
    const r = uniqueRun();
    const repository = `${r.repository.slice(0, r.repository.lastIndexOf("/"))}/web`;
    const namespace = `e2e-${r.id}-consumer`;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-consumer-state-"));

    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: t.title, seconds: (t.duration ?? 0) / 1000 });
    });

    it("consumer: npm pack, npm install the tarball, pulumi up builds, pushes and deploys by digest", async () => {
        const copy = projectCopy(r);
        const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-pack-"));
        const pack = await run("npm", ["pack", "--json", "--pack-destination", packDir], copy);
        assert.strictEqual(pack.code, 0, pack.stderr);
        const packed = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
        const shipped = packed[0].files.map((f) => f.path);
        // Only what users need: the compiled library, the CLI launcher, the README.
        assert.deepStrictEqual([...new Set(shipped.map((f) => f.split("/")[0]))].sort(), [
            "README.md",
            "bin",
            "dist",
            "package.json",
        ]);
        assert.ok(shipped.includes("dist/index.js") && shipped.includes("dist/index.d.ts"));

        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-consumer-"));
        fs.writeFileSync(
            path.join(dir, "package.json"),
            JSON.stringify(
                {
                    name: "consumer",
                    private: true,
                    dependencies: {
                        "pulumi-image-release": `file:${path.join(packDir, packed[0].filename)}`,
                        "@pulumi/pulumi": installed("@pulumi/pulumi"),
                        "@pulumi/kubernetes": installed("@pulumi/kubernetes"),
                    },
                    devDependencies: {
                        typescript: installed("typescript"),
                        "@types/node": installed("@types/node"),
                    },
                },
                null,
                2,
            ),
        );
        fs.writeFileSync(
            path.join(dir, "Pulumi.yaml"),
            "name: consumer\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n",
        );
        fs.writeFileSync(path.join(dir, "tsconfig.json"), CONSUMER_TSCONFIG);
        fs.writeFileSync(
            path.join(dir, "index.ts"),
            [
                'import * as k8s from "@pulumi/kubernetes";',
                'import * as pulumi from "@pulumi/pulumi";',
                'import { MultiArchImage, PinnedDeployment } from "pulumi-image-release";',
                "",
                "const config = new pulumi.Config();",
                'const repository = config.require("repository");',
                'const gitSha = config.require("gitSha");',
                'const image = new MultiArchImage("web", { context: "app", repository, version: "2.0.1", gitSha, channel: "dev" });',
                'const namespace = config.require("namespace");',
                "// The program declares the namespace it deploys into, so `pulumi up` works on a fresh cluster.",
                'const ns = new k8s.core.v1.Namespace("web", { metadata: { name: namespace } }, { retainOnDelete: true });',
                'const web = new PinnedDeployment("web", {',
                "    repository,",
                "    digest: image.digest,",
                '    version: "2.0.1",',
                "    gitSha,",
                "    namespace,",
                "}, { dependsOn: [ns] });",
                "export const digest = image.digest;",
                "export const tags = image.tags;",
                "export const ref = web.image;",
                "",
            ].join("\n"),
        );
        // The consumer's app is a real server (the example server's committed binaries): its Pods run on
        // the real node, where `pulumi up` waits for the Deployment to be ready.
        fs.mkdirSync(path.join(dir, "app"));
        for (const arch of ["amd64", "arm64"]) {
            fs.mkdirSync(path.join(dir, "app", arch));
            fs.copyFileSync(
                path.join(ROOT, "examples", "hello", "rootfs", arch, "server"),
                path.join(dir, "app", arch, "server"),
            );
        }
        fs.writeFileSync(
            path.join(dir, "app", "Dockerfile"),
            [
                "FROM scratch",
                "ARG TARGETARCH",
                "COPY ${TARGETARCH}/server /server",
                "ARG APP=web",
                "ARG VERSION",
                "ARG GIT_SHA",
                'RUN ["/server", "--bake"]',
                'ENTRYPOINT ["/server"]',
                "",
            ].join("\n"),
        );
        fs.writeFileSync(path.join(dir, ".gitignore"), "node_modules/\n");
        const install = await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], dir);
        assert.strictEqual(install.code, 0, install.stderr);
        git(dir, ["init", "-q", "-b", "main"]);
        git(dir, ["add", "-A"]);
        git(dir, ["commit", "-q", "-m", "consumer"]);
        const sha = git(dir, ["rev-parse", "HEAD"]).trim();

        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName: "dev", workDir: dir },
            { envVars: engineEnv(stateDir) },
        );
        await stack.setAllConfig({
            repository: { value: repository },
            gitSha: { value: sha },
            namespace: { value: namespace },
        });
        const up = await stack.up({
            onOutput: (s) => fs.appendFileSync(path.join(stateDir, "engine.log"), s),
        });
        const digest = up.outputs.digest.value as string;
        assert.deepStrictEqual(up.outputs.tags.value, ["2.0.1", "2.0", "2", `git-${sha.slice(0, 7)}`, "dev"]);
        for (const t of up.outputs.tags.value)
            assert.strictEqual(await registryDigest(repository, t), digest, t);
        assert.strictEqual(up.outputs.ref.value, `${repository}@${digest}`);
        assert.strictEqual(
            kubectl([
                "get",
                "deployment",
                "web",
                "-n",
                namespace,
                "-o",
                "jsonpath={.spec.template.spec.containers[0].image}",
            ]),
            `${repository}@${digest}`,
        );
        const second = await stack.up({
            onOutput: (s) => fs.appendFileSync(path.join(stateDir, "engine.log"), s),
        });
        assert.deepStrictEqual(Object.keys(second.summary.resourceChanges ?? {}), ["same"]);
    });
});
