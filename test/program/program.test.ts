import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { jobName } from "../../src/components";
import * as YAML from "yaml";
import { resourceViolations } from "../../src/policy";
import {
    Json,
    MOCK_BUILD,
    ofType,
    promiseOf,
    recorded,
    registrationOf,
    resetRecorded,
    setMocks,
    settle,
} from "../helpers/mocks";

const REPO = "127.0.0.1:5000/image-release/hello";

/** The stack file's config as the engine hands it to the program: every value a string. */
function stackConfig(
    stack: string,
    overrides: Record<string, unknown> = {},
    remove: string[] = [],
): Record<string, string> {
    const doc = YAML.parse(fs.readFileSync(`stacks/Pulumi.${stack}.yaml`, "utf8")) as {
        config: Record<string, unknown>;
    };
    const merged: Record<string, unknown> = { ...doc.config, ...overrides };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(merged)) {
        if (remove.includes(k)) continue;
        out[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}

type Run = () => Promise<Record<string, unknown>>;

describe("program", () => {
    let run: Run;
    before(async () => {
        await setMocks("dev");
        // `export =` under esModuleInterop arrives as the module's default export.
        run = (await import("../../src/program")).default;
    });
    beforeEach(resetRecorded);

    async function runStack(stack: string, config: Record<string, string>): Promise<Record<string, Json>> {
        await setMocks(stack);
        pulumi.runtime.setAllConfig(config);
        const outputs = await run();
        const resolved: Record<string, Json> = {};
        for (const [k, v] of Object.entries(outputs)) resolved[k] = await promiseOf(v);
        await settle();
        return resolved;
    }

    function deploymentOf() {
        const deps = ofType("kubernetes:apps/v1:Deployment");
        assert.strictEqual(deps.length, 1);
        return deps[0].inputs;
    }

    const staging = stackConfig("staging");
    const STAGING_DIGEST = staging["image-release:digest"];

    it("dev builds once and deploys the digest it built", async () => {
        const out = await runStack(
            "dev",
            // The mock build digest is in no registry; verification is covered in verifyDigest.test.ts.
            stackConfig("dev", {
                "image-release:version": "1.4.2",
                "image-release:gitSha": "0123abcdef",
                "image-release:verifyDigest": false,
                "image-release:requireSignature": "false",
                "image-release:requireVerification": "false",
            }),
        );
        const builds = recorded.filter(
            (r) => r.type === "pulumi-nodejs:dynamic:Resource" && "contextHash" in r.inputs,
        );
        assert.strictEqual(builds.length, 1);
        assert.deepStrictEqual(builds[0].inputs.tags, ["1.4.2", "1.4", "1", "git-0123abc", "dev"]);
        assert.deepStrictEqual(builds[0].inputs.platforms, ["linux/amd64", "linux/arm64"]);
        const dep = deploymentOf();
        assert.strictEqual(dep.spec.template.spec.containers[0].image, `${REPO}@${MOCK_BUILD.digest}`);
        assert.deepStrictEqual(dep.metadata.annotations, {
            "kubernetes.io/change-cause": "image-release 1.4.2 sha256:dddddddddddd",
            "image-release/version": "1.4.2",
            "image-release/digest": MOCK_BUILD.digest,
            "image-release/git-sha": "0123abcdef",
        });
        assert.strictEqual(dep.spec.revisionHistoryLimit, 10);
        assert.deepStrictEqual(out.tags, ["1.4.2", "1.4", "1", "git-0123abc", "dev"]);
        assert.deepStrictEqual(Object.keys(out).sort(), [
            "digest",
            "platformDigests",
            "ref",
            "release",
            "releases",
            "tags",
        ]);
        // A stack of one image exports its record twice: as `release`, and by name in `releases`.
        assert.deepStrictEqual(out.releases, { hello: out.release });
        assert.strictEqual(out.digest, MOCK_BUILD.digest);
        assert.strictEqual(out.ref, `${REPO}@${MOCK_BUILD.digest}`);
        assert.deepStrictEqual(out.platformDigests, MOCK_BUILD.platformDigests);
        assert.deepStrictEqual(out.release, {
            repository: REPO,
            version: "1.4.2",
            digest: MOCK_BUILD.digest,
            ref: `${REPO}@${MOCK_BUILD.digest}`,
            tags: ["1.4.2", "1.4", "1", "git-0123abc", "dev"],
            platforms: ["linux/amd64", "linux/arm64"],
            platformDigests: MOCK_BUILD.platformDigests,
            gitSha: "0123abcdef",
            sourceStack: "dev",
        });
    });

    for (const [stack, from, ns] of [
        ["staging", "dev", "staging"],
        ["prod", "staging", "prod"],
    ]) {
        it(`${stack} never builds, pins the configured digest and moves its channel tag`, async () => {
            const cfg = stackConfig(stack, {
                "image-release:verifyDigest": false,
                "image-release:requireSignature": "false",
                "image-release:requireVerification": "false",
            });
            const digest = cfg["image-release:digest"];
            const out = await runStack(stack, cfg);
            assert.strictEqual(recorded.filter((r) => "contextHash" in r.inputs).length, 0);
            assert.strictEqual(ofType("image-release:image:MultiArchImage").length, 0);
            const dep = deploymentOf();
            assert.strictEqual(dep.metadata.namespace, ns);
            assert.strictEqual(dep.spec.template.spec.containers[0].image, `${REPO}@${digest}`);
            assert.deepStrictEqual(dep.metadata.annotations, {
                "kubernetes.io/change-cause": `image-release 1.4.2 ${digest.slice(0, 19)} (promoted from ${from})`,
                "image-release/version": "1.4.2",
                "image-release/digest": digest,
                "image-release/git-sha": "0123abc",
            });
            const tags = recorded.filter(
                (r) => r.type === "pulumi-nodejs:dynamic:Resource" && "tag" in r.inputs,
            );
            assert.strictEqual(tags.length, 1);
            assert.strictEqual(tags[0].name, `hello-${stack}-tag`);
            assert.deepStrictEqual(tags[0].inputs, { repository: REPO, digest, tag: stack });
            // The engine holds the retag until the Deployment is applied, and skips it if that fails.
            assert.deepStrictEqual(registrationOf(`hello-${stack}-tag`).dependencies, [
                `urn:pulumi:${stack}::image-release::image-release:deploy:PinnedDeployment$kubernetes:apps/v1:Deployment::hello-deployment`,
            ]);
            assert.strictEqual(out.digest, digest);
            assert.strictEqual(out.ref, `${REPO}@${digest}`);
            assert.deepStrictEqual(out.platformDigests, {});
            assert.deepStrictEqual(out.release, {
                repository: REPO,
                version: "1.4.2",
                digest,
                ref: `${REPO}@${digest}`,
                tags: ["1.4.2", "1.4", "1", "git-0123abc", stack],
                platforms: ["linux/amd64", "linux/arm64"],
                platformDigests: {},
                gitSha: "0123abc",
                sourceStack: from,
            });
        });
    }

    it("staging runs its training Job (image-release:training) on the pinned digest", async () => {
        const cfg = stackConfig("staging", {
            "image-release:verifyDigest": false,
            "image-release:requireSignature": "false",
            "image-release:requireVerification": "false",
        });
        const digest = cfg["image-release:digest"];
        const out = await runStack("staging", cfg);
        const jobs = ofType("kubernetes:batch/v1:Job");
        assert.strictEqual(jobs.length, 1);
        const name = jobName({
            baseName: "hello-train",
            digest,
            gitSha: "0123abc",
            datasetVersion: "clicks-2026-11-01",
        });
        assert.deepStrictEqual(jobs[0].inputs.metadata, {
            name,
            namespace: "staging",
            annotations: {
                "image-release/digest": digest,
                "image-release/git-sha": "0123abc",
                "image-release/dataset-version": "clicks-2026-11-01",
            },
        });
        assert.deepStrictEqual(jobs[0].inputs.spec.template.spec.containers, [
            {
                name: "train",
                image: `${REPO}@${digest}`,
                args: ["--once", "--dataset", "clicks-2026-11-01"],
            },
        ]);
        assert.deepStrictEqual(out.trainingJob, {
            name,
            image: `${REPO}@${digest}`,
            digest,
            gitSha: "0123abc",
            datasetVersion: "clicks-2026-11-01",
        });
        // prod ships without training: no Job, no trainingJob output.
        resetRecorded();
        const prod = await runStack(
            "prod",
            stackConfig("prod", {
                "image-release:verifyDigest": false,
                "image-release:requireSignature": "false",
                "image-release:requireVerification": "false",
            }),
        );
        assert.deepStrictEqual([ofType("kubernetes:batch/v1:Job").length, "trainingJob" in prod], [0, false]);
    });

    it("promotion and rollback are config diffs: the image and change-cause follow the pin", async () => {
        const NEW = "sha256:" + "9".repeat(64);
        const before = stackConfig("staging", {
            "image-release:verifyDigest": false,
            "image-release:requireSignature": "false",
            "image-release:requireVerification": "false",
        });
        await runStack("staging", before);
        const old = deploymentOf();

        resetRecorded();
        await runStack(
            "staging",
            stackConfig("staging", {
                "image-release:verifyDigest": false,
                "image-release:requireSignature": "false",
                "image-release:requireVerification": "false",
                "image-release:digest": NEW,
                "image-release:version": "1.5.0",
            }),
        );
        const promoted = deploymentOf();
        assert.strictEqual(promoted.spec.template.spec.containers[0].image, `${REPO}@${NEW}`);
        assert.strictEqual(
            promoted.metadata.annotations["kubernetes.io/change-cause"],
            "image-release 1.5.0 sha256:999999999999 (promoted from dev)",
        );

        resetRecorded();
        await runStack("staging", before);
        const rolledBack = deploymentOf();
        assert.strictEqual(rolledBack.spec.template.spec.containers[0].image, `${REPO}@${STAGING_DIGEST}`);
        assert.deepStrictEqual(rolledBack, old);
    });

    const badConfig: {
        name: string;
        stack: string;
        /** The stack file whose config is used; default: the stack's own. */
        base?: string;
        overrides?: Record<string, unknown>;
        remove?: string[];
        message: string;
    }[] = [
        {
            name: "a tag instead of a digest",
            stack: "staging",
            overrides: { "image-release:digest": "1.4.2" },
            message:
                'stacks/Pulumi.staging.yaml: image-release:digest: expected a digest sha256:<64 hex>, not a tag (got "1.4.2")',
        },
        {
            name: "a short digest",
            stack: "prod",
            overrides: { "image-release:digest": "sha256:abcdef123456" },
            message:
                'stacks/Pulumi.prod.yaml: image-release:digest: expected sha256:<64 hex>, but it has 12 hex chars (got "sha256:abcdef123456")',
        },
        {
            name: "a missing digest",
            stack: "prod",
            remove: ["image-release:digest"],
            message:
                'stacks/Pulumi.prod.yaml: image-release:digest: required in stack "prod" (it deploys a pinned digest, never builds) (got "")',
        },
        {
            name: "a missing repository",
            stack: "staging",
            remove: ["image-release:repository"],
            message: 'stacks/Pulumi.staging.yaml: image-release:repository: required (got "")',
        },
        {
            name: "a build key in prod",
            stack: "prod",
            overrides: { "image-release:build": { context: "examples/hello", dockerfile: "Dockerfile" } },
            message:
                'stacks/Pulumi.prod.yaml: image-release:build: not allowed in stack "prod" (it deploys a pinned digest, never builds) (got "{"context":"examples/hello","dockerfile":"Dockerfile"}")',
        },
        {
            name: "a stack with neither digest nor build",
            stack: "qa",
            base: "staging",
            remove: ["image-release:digest"],
            message:
                'stacks/Pulumi.qa.yaml: image-release:digest: required (or image-release:build) (got "")',
        },
        {
            name: "a missing version",
            stack: "staging",
            remove: ["image-release:version"],
            message:
                'stacks/Pulumi.staging.yaml: image-release:version: required with image-release:digest (got "")',
        },
    ];
    for (const c of badConfig) {
        it(`fails before any resource on ${c.name}, naming the file and key`, async () => {
            await setMocks(c.stack);
            pulumi.runtime.setAllConfig(stackConfig(c.base ?? c.stack, c.overrides, c.remove));
            // A RunError: the engine prints the message alone, with no Node.js stack trace.
            await assert.rejects(
                () => run(),
                (e: unknown) => e instanceof pulumi.RunError && e.message === c.message,
            );
            await settle();
            assert.deepStrictEqual(recorded, []);
        });
    }

    it("an explicit Kubernetes provider comes from config alone", async () => {
        await runStack(
            "prod",
            stackConfig("prod", {
                "image-release:verifyDigest": false,
                "image-release:requireSignature": "false",
                "image-release:requireVerification": "false",
                "image-release:kubeContext": "kind-local",
            }),
        );
        const [provider] = ofType("pulumi:providers:kubernetes");
        assert.strictEqual(provider.name, "prod-kubernetes");
        assert.strictEqual(provider.inputs.context, "kind-local");
    });

    describe("the dev image's source label and the oci-labels-present policy", () => {
        const SOURCE = "org.opencontainers.image.source";
        const dirs: string[] = [];
        after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

        /** A one-commit git repository holding the example app, optionally with a remote and package.json. */
        function contextRepo(remote?: string, pkg?: Record<string, unknown>): string {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-source-"));
            dirs.push(dir);
            fs.cpSync("examples/hello", dir, { recursive: true });
            if (pkg !== undefined) fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg));
            const git = (...args: string[]) =>
                execFileSync(
                    "git",
                    ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.test", ...args],
                    {
                        stdio: "ignore",
                    },
                );
            git("init", "-q");
            git("add", "-A");
            git("commit", "-q", "-m", "example");
            if (remote !== undefined) git("remote", "add", "origin", remote);
            return dir;
        }

        async function devImage(context: string, overrides: Record<string, unknown> = {}) {
            await runStack(
                "dev",
                stackConfig("dev", {
                    "image-release:version": "1.4.2",
                    "image-release:gitSha": "0123abcdef",
                    "image-release:verifyDigest": false,
                    "image-release:requireSignature": "false",
                    "image-release:requireVerification": "false",
                    "image-release:build": { context, dockerfile: "Dockerfile" },
                    ...overrides,
                }),
            );
            const [image] = recorded.filter(
                (r) => r.type === "pulumi-nodejs:dynamic:Resource" && "contextHash" in r.inputs,
            );
            const urn = registrationOf("hello-image").urn;
            return {
                labels: image.inputs.labels,
                violations: resourceViolations({ ...image, urn, props: image.inputs }),
            };
        }

        const rows: {
            name: string;
            remote?: string;
            pkg?: Record<string, unknown>;
            config?: string;
            source?: string;
        }[] = [
            {
                name: "image-release:source wins over the remote",
                remote: "git@github.com:acme/other.git",
                config: "https://github.com/acme/hello",
                source: "https://github.com/acme/hello",
            },
            {
                name: "an scp-like origin becomes https",
                remote: "git@github.com:acme/hello.git",
                source: "https://github.com/acme/hello",
            },
            {
                name: "package.json repository when there is no remote",
                pkg: { repository: { type: "git", url: "git+https://gitlab.com/acme/hello.git" } },
                source: "https://gitlab.com/acme/hello",
            },
            { name: "a local-path remote is no source URL", remote: "/srv/git/hello.git" },
            { name: "no remote, no package.json repository" },
        ];
        for (const c of rows) {
            it(c.name, async () => {
                const dir = contextRepo(c.remote, c.pkg);
                const { labels, violations } = await devImage(
                    dir,
                    c.config !== undefined ? { "image-release:source": c.config } : {},
                );
                assert.strictEqual(labels[SOURCE], c.source);
                assert.deepStrictEqual(
                    violations,
                    c.source !== undefined
                        ? []
                        : [
                              {
                                  policy: "oci-labels-present",
                                  message:
                                      "MultiArchImage is missing OCI label(s) org.opencontainers.image.source",
                              },
                          ],
                );
            });
        }

        it("refuses a configured source that is not an http(s) URL, before any resource", async () => {
            await setMocks("dev");
            pulumi.runtime.setAllConfig(stackConfig("dev", { "image-release:source": "file:///work/main" }));
            await assert.rejects(
                () => run(),
                (e: unknown) =>
                    e instanceof pulumi.RunError &&
                    e.message ===
                        'stacks/Pulumi.dev.yaml: image-release:source: expected an http(s) URL without credentials (got "file:///work/main")',
            );
            await settle();
            assert.deepStrictEqual(recorded, []);
        });
    });
});
