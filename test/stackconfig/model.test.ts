import * as assert from "assert";
import * as path from "path";
import { listStacks, readStackConfig, StackImageConfig, validateStackConfig } from "../../src/stackconfig";

const D = "sha256:3f2a9c1e8b7d6054a1c2e3f4b5a6978812345678909abcdef0fedcba98765432";
const REPO = "127.0.0.1:5000/image-release/hello";
const F = "stacks/Pulumi.staging.yaml";
const FIXTURES = path.join(__dirname, "..", "fixtures", "stacks");

function cfg(o: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
        out[`image-release:${k}`] = v;
    }
    return out;
}

describe("validateStackConfig", () => {
    const good: {
        name: string;
        stack: string;
        in: Record<string, unknown>;
        out: Partial<StackImageConfig>;
    }[] = [
        {
            name: "staging pin with defaults",
            stack: "staging",
            in: cfg({ repository: REPO, digest: D }),
            out: {
                repository: REPO,
                digest: D,
                platforms: ["linux/amd64", "linux/arm64"],
                verifyDigest: true,
                namespace: "default",
                images: { hello: { repository: REPO, digest: D, platforms: ["linux/amd64", "linux/arm64"] } },
                form: "single",
            },
        },
        {
            name: "dev build with dockerfile default",
            stack: "dev",
            in: {
                ...cfg({ repository: REPO, build: { context: "examples/hello" } }),
                "kubernetes:context": "x",
            },
            out: {
                repository: REPO,
                build: { context: "examples/hello", dockerfile: "Dockerfile" },
                platforms: ["linux/amd64", "linux/arm64"],
                verifyDigest: true,
                namespace: "default",
                images: {
                    hello: {
                        repository: REPO,
                        platforms: ["linux/amd64", "linux/arm64"],
                        build: { context: "examples/hello", dockerfile: "Dockerfile" },
                    },
                },
                form: "single",
            },
        },
        {
            name: "prod with every field",
            stack: "prod",
            in: cfg({
                repository: REPO,
                digest: D,
                platforms: ["linux/arm/v7"],
                channel: "prod",
                promoteFrom: "staging",
                version: "1.4.2",
                gitSha: "0123abc",
                promotedFrom: "staging",
                verifyDigest: false,
                namespace: "prod",
                kubeconfig: "~/.kube/config",
                kubeContext: "kind-local",
                source: "https://git.example.com/team/hello",
                signingKey: ["keys/2026.pub", "keys/2027.pub"],
            }),
            out: {
                repository: REPO,
                digest: D,
                platforms: ["linux/arm/v7"],
                channel: "prod",
                promoteFrom: "staging",
                version: "1.4.2",
                gitSha: "0123abc",
                promotedFrom: "staging",
                verifyDigest: false,
                namespace: "prod",
                kubeconfig: "~/.kube/config",
                kubeContext: "kind-local",
                source: "https://git.example.com/team/hello",
                signingKeys: ["keys/2026.pub", "keys/2027.pub"],
                requireSignature: true,
                requireVerification: true,
                images: {
                    hello: {
                        repository: REPO,
                        digest: D,
                        platforms: ["linux/arm/v7"],
                        version: "1.4.2",
                        gitSha: "0123abc",
                        promotedFrom: "staging",
                    },
                },
                form: "single",
            },
        },
        {
            name: "prod pinned from another registry",
            stack: "prod",
            in: cfg({ repository: "127.0.0.1:5001/prod/hello", digest: D, sourceRepository: REPO }),
            out: {
                repository: "127.0.0.1:5001/prod/hello",
                digest: D,
                sourceRepository: REPO,
                platforms: ["linux/amd64", "linux/arm64"],
                verifyDigest: true,
                namespace: "default",
                requireSignature: true,
                requireVerification: true,
                images: {
                    hello: {
                        repository: "127.0.0.1:5001/prod/hello",
                        digest: D,
                        sourceRepository: REPO,
                        platforms: ["linux/amd64", "linux/arm64"],
                    },
                },
                form: "single",
            },
        },
        {
            name: "docker hub short name",
            stack: "qa",
            in: cfg({ repository: "nginx" }),
            out: {
                repository: "nginx",
                platforms: ["linux/amd64", "linux/arm64"],
                verifyDigest: true,
                namespace: "default",
                images: { nginx: { repository: "nginx", platforms: ["linux/amd64", "linux/arm64"] } },
                form: "single",
            },
        },
        {
            name: "training job with args",
            stack: "staging",
            in: cfg({
                repository: REPO,
                digest: D,
                training: { datasetVersion: "clicks-2026-11-01", command: ["--train", "--epochs", "3"] },
            }),
            out: {
                repository: REPO,
                digest: D,
                platforms: ["linux/amd64", "linux/arm64"],
                verifyDigest: true,
                namespace: "default",
                training: { datasetVersion: "clicks-2026-11-01", command: ["--train", "--epochs", "3"] },
                images: { hello: { repository: REPO, digest: D, platforms: ["linux/amd64", "linux/arm64"] } },
                form: "single",
            },
        },
        {
            name: "training job without args",
            stack: "staging",
            in: cfg({ repository: REPO, digest: D, training: { datasetVersion: "v3" } }),
            out: {
                repository: REPO,
                digest: D,
                platforms: ["linux/amd64", "linux/arm64"],
                verifyDigest: true,
                namespace: "default",
                training: { datasetVersion: "v3" },
                images: { hello: { repository: REPO, digest: D, platforms: ["linux/amd64", "linux/arm64"] } },
                form: "single",
            },
        },
    ];
    for (const c of good) {
        it(c.name, () =>
            assert.deepStrictEqual(validateStackConfig(c.stack, F, c.in), {
                stack: c.stack,
                file: F,
                ...c.out,
            }),
        );
    }

    const bad: { name: string; stack?: string; in: Record<string, unknown>; message: string[] }[] = [
        {
            name: "sourceRepository is the repository itself",
            in: cfg({ repository: REPO, digest: D, sourceRepository: REPO }),
            message: [
                `${F}: image-release:sourceRepository: is image-release:repository itself; remove it (nothing to copy) (got "${REPO}")`,
            ],
        },
        {
            name: "sourceRepository with a tag, and without a digest",
            stack: "dev",
            in: cfg({ repository: REPO, build: { context: "." }, sourceRepository: `${REPO}:1.0` }),
            message: [
                `${F}: image-release:sourceRepository: must be a repository without a tag or digest (pin with image-release:digest) (got "${REPO}:1.0")`,
                `${F}: image-release:sourceRepository: only meaningful with image-release:digest (it says where the pin is copied from) (got "${REPO}:1.0")`,
            ],
        },
        {
            name: "repository missing",
            in: cfg({ digest: D }),
            message: [`${F}: image-release:repository: required (got "")`],
        },
        {
            name: "repository with tag",
            in: cfg({ repository: `${REPO}:1.4.2`, digest: D }),
            message: [
                `${F}: image-release:repository: must be a repository without a tag or digest (pin with image-release:digest) (got "${REPO}:1.4.2")`,
            ],
        },
        {
            name: "repository with digest",
            in: cfg({ repository: `${REPO}@${D}`, digest: D }),
            message: [
                `${F}: image-release:repository: must be a repository without a tag or digest (pin with image-release:digest) (got "${REPO}@${D}")`,
            ],
        },
        {
            name: "uppercase repository",
            in: cfg({ repository: "127.0.0.1:5000/Image-Release/hello", digest: D }),
            message: [
                `${F}: image-release:repository: repository path "Image-Release/hello" must be lowercase (got "127.0.0.1:5000/Image-Release/hello")`,
            ],
        },
        {
            name: "digest is a tag",
            in: cfg({ repository: REPO, digest: "1.4.2" }),
            message: [
                `${F}: image-release:digest: expected a digest sha256:<64 hex>, not a tag (got "1.4.2")`,
            ],
        },
        {
            name: "digest is :latest",
            in: cfg({ repository: REPO, digest: ":latest" }),
            message: [
                `${F}: image-release:digest: expected a digest sha256:<64 hex>, not a tag (got ":latest")`,
            ],
        },
        {
            name: "short digest",
            in: cfg({ repository: REPO, digest: "sha256:3f2a9c1e" }),
            message: [
                `${F}: image-release:digest: expected sha256:<64 hex>, but it has 8 hex chars (got "sha256:3f2a9c1e")`,
            ],
        },
        {
            name: "uppercase digest",
            in: cfg({ repository: REPO, digest: D.toUpperCase().replace("SHA256", "sha256") }),
            message: [
                `${F}: image-release:digest: expected lowercase hex in sha256:<64 hex> (got "${D.toUpperCase().replace("SHA256", "sha256")}")`,
            ],
        },
        {
            name: "other algorithm",
            in: cfg({ repository: REPO, digest: "md5:abc" }),
            message: [`${F}: image-release:digest: expected a digest sha256:<64 hex> (got "md5:abc")`],
        },
        {
            name: "staging without digest and with build",
            in: cfg({ repository: REPO, build: { context: "." } }),
            message: [
                `${F}: image-release:digest: required in stack "staging" (it deploys a pinned digest, never builds) (got "")`,
                `${F}: image-release:build: not allowed in stack "staging" (it deploys a pinned digest, never builds) (got "{"context":"."}")`,
            ],
        },
        {
            name: "prod with build",
            stack: "prod",
            in: cfg({ repository: REPO, digest: D, build: { context: "." } }),
            message: [
                `${F}: image-release:build: not allowed in stack "prod" (it deploys a pinned digest, never builds) (got "{"context":"."}")`,
            ],
        },
        {
            name: "dev with neither build nor digest",
            stack: "dev",
            in: cfg({ repository: REPO }),
            message: [
                `${F}: image-release:build: stack "dev" needs image-release:build or image-release:digest (got "")`,
            ],
        },
        {
            name: "build without context",
            stack: "dev",
            in: cfg({ repository: REPO, build: { dockerfile: "Dockerfile" } }),
            message: [
                `${F}: image-release:build: build.context must be a non-empty string (got "undefined")`,
            ],
        },
        {
            name: "empty platforms",
            in: cfg({ repository: REPO, digest: D, platforms: [] }),
            message: [
                `${F}: image-release:platforms: expected a non-empty list of os/arch[/variant] (got "[]")`,
            ],
        },
        {
            name: "platforms not a list",
            in: cfg({ repository: REPO, digest: D, platforms: "linux/amd64" }),
            message: [
                `${F}: image-release:platforms: expected a non-empty list of os/arch[/variant] (got "linux/amd64")`,
            ],
        },
        {
            name: "bad and duplicate platforms",
            in: cfg({ repository: REPO, digest: D, platforms: ["linux/amd64", "amd64", "linux/amd64"] }),
            message: [
                `${F}: image-release:platforms: expected os/arch[/variant] such as linux/amd64 (got "amd64")`,
                `${F}: image-release:platforms: duplicate platform (got "linux/amd64")`,
            ],
        },
        {
            name: "version not semver",
            in: cfg({ repository: REPO, digest: D, version: "1.4" }),
            message: [`${F}: image-release:version: not a semver version (got "1.4")`],
        },
        {
            name: "unknown channel",
            in: cfg({ repository: REPO, digest: D, channel: "qa" }),
            message: [`${F}: image-release:channel: expected one of dev, staging, prod (got "qa")`],
        },
        {
            name: "verifyDigest not boolean",
            in: cfg({ repository: REPO, digest: D, verifyDigest: "yes" }),
            message: [`${F}: image-release:verifyDigest: expected true or false (got "yes")`],
        },
        {
            name: "bad gitSha",
            in: cfg({ repository: REPO, digest: D, gitSha: "main" }),
            message: [`${F}: image-release:gitSha: expected 7-40 lowercase hex chars (got "main")`],
        },
        {
            name: "namespace that is not an RFC 1123 label",
            in: cfg({ repository: REPO, digest: D, namespace: "Team_A" }),
            message: [
                `${F}: image-release:namespace: must be an RFC 1123 label: lowercase alphanumerics or "-", starting and ending with an alphanumeric (got "Team_A")`,
            ],
        },
        {
            name: "namespace longer than 63 characters",
            in: cfg({ repository: REPO, digest: D, namespace: "n".repeat(64) }),
            message: [
                `${F}: image-release:namespace: must be an RFC 1123 label of at most 63 characters, not 64 (got "${"n".repeat(64)}")`,
            ],
        },
        {
            name: "source that is not an http(s) URL",
            in: cfg({ repository: REPO, digest: D, source: "file:///work/main" }),
            message: [
                `${F}: image-release:source: expected an http(s) URL without credentials (got "file:///work/main")`,
            ],
        },
        {
            name: "source carrying credentials",
            in: cfg({ repository: REPO, digest: D, source: "https://user:tok@git.example.com/a/b" }),
            message: [
                `${F}: image-release:source: expected an http(s) URL without credentials (got "https://<redacted>@git.example.com/a/b")`,
            ],
        },
        {
            name: "repository carrying credentials: never quoted back",
            in: cfg({ repository: "user:s3cret@127.0.0.1:5000/hello", digest: D }),
            message: [
                `${F}: image-release:repository: credentials do not belong in an image reference (use docker login or the credentials argument) (got "<redacted>@127.0.0.1:5000/hello")`,
            ],
        },
        {
            name: "bad stack name",
            stack: "Prod_1",
            in: cfg({ repository: REPO, digest: D }),
            message: [`${F}: stack name must match ^[a-z][a-z0-9-]*$ (got "Prod_1")`],
        },
        {
            name: "unknown key (typo)",
            in: cfg({ repository: REPO, digest: D, namepsace: "x" }),
            message: [
                `${F}: image-release:namepsace: unknown key (known: repository, sourceRepository, digest, platforms, version, channel, gitSha, build, verifyDigest, namespace, createNamespace, admissionPolicy, promoteFrom, promotedFrom, kubeconfig, kubeContext, source, training, signingKey, requireSignature, verifierKeys, requireVerification, allowImages, pullCredentials, checks, service, rolloutTimeoutSeconds, builders, images) (got "x")`,
            ],
        },
        {
            name: "training that is not a map",
            in: cfg({ repository: REPO, digest: D, training: "v3" }),
            message: [
                `${F}: image-release:training: expected a map with datasetVersion and optional command (got "v3")`,
            ],
        },
        {
            name: "training without datasetVersion",
            in: cfg({ repository: REPO, digest: D, training: { command: ["--x"] } }),
            message: [
                `${F}: image-release:training: training.datasetVersion must be a non-empty string (got "")`,
            ],
        },
        {
            name: "training with an empty datasetVersion",
            in: cfg({ repository: REPO, digest: D, training: { datasetVersion: "" } }),
            message: [
                `${F}: image-release:training: training.datasetVersion must be a non-empty string (got "")`,
            ],
        },
        {
            name: "training command that is not a list of strings",
            in: cfg({
                repository: REPO,
                digest: D,
                training: { datasetVersion: "v3", command: ["--epochs", 3] },
            }),
            message: [
                `${F}: image-release:training: training.command must be a list of strings (got "["--epochs",3]")`,
            ],
        },
        {
            name: "training with an unknown key",
            in: cfg({ repository: REPO, digest: D, training: { datasetVersion: "v3", dataset: "x" } }),
            message: [
                `${F}: image-release:training: unknown key training.dataset (known: datasetVersion, command) (got "{"datasetVersion":"v3","dataset":"x"}")`,
            ],
        },
        {
            name: "collects every problem at once",
            in: cfg({
                repository: `${REPO}:latest`,
                digest: "latest",
                version: "x",
                channel: "qa",
                namespace: "",
            }),
            message: [
                `${F}: image-release:repository: must be a repository without a tag or digest (pin with image-release:digest) (got "${REPO}:latest")`,
                `${F}: image-release:digest: expected a digest sha256:<64 hex>, not a tag (got "latest")`,
                `${F}: image-release:version: not a semver version (got "x")`,
                `${F}: image-release:channel: expected one of dev, staging, prod (got "qa")`,
                `${F}: image-release:namespace: expected a non-empty string (got "")`,
            ],
        },
    ];
    for (const c of bad) {
        it(`refuses: ${c.name}`, () =>
            assert.throws(() => validateStackConfig(c.stack ?? "staging", F, c.in), {
                name: "StackConfigError",
                message: c.message.join("\n"),
            }));
    }
});

describe("readStackConfig", () => {
    const good = path.join(FIXTURES, "good");
    const bad = path.join(FIXTURES, "bad");

    it("lists stacks sorted", () => assert.deepStrictEqual(listStacks(good), ["dev", "prod", "staging"]));
    it("lists no stacks in a missing dir", () =>
        assert.deepStrictEqual(listStacks(path.join(FIXTURES, "none")), []));

    it("reads prod", () =>
        assert.deepStrictEqual(readStackConfig(good, "prod"), {
            stack: "prod",
            file: path.join(good, "Pulumi.prod.yaml"),
            repository: REPO,
            platforms: ["linux/amd64", "linux/arm64"],
            channel: "prod",
            promoteFrom: "staging",
            digest: D,
            version: "1.4.2",
            gitSha: "0123abc",
            promotedFrom: "staging",
            verifyDigest: false,
            namespace: "prod",
            signingKeys: ["keys/cosign.pub"],
            requireSignature: true,
            images: {
                hello: {
                    repository: REPO,
                    digest: D,
                    platforms: ["linux/amd64", "linux/arm64"],
                    version: "1.4.2",
                    gitSha: "0123abc",
                    promotedFrom: "staging",
                },
            },
            form: "single",
        }));

    it("reads dev, ignoring other namespaces", () =>
        assert.deepStrictEqual(readStackConfig(good, "dev"), {
            stack: "dev",
            file: path.join(good, "Pulumi.dev.yaml"),
            repository: REPO,
            platforms: ["linux/amd64", "linux/arm64"],
            channel: "dev",
            build: { context: "examples/hello", dockerfile: "Dockerfile" },
            verifyDigest: true,
            namespace: "default",
            images: {
                hello: {
                    repository: REPO,
                    platforms: ["linux/amd64", "linux/arm64"],
                    build: { context: "examples/hello", dockerfile: "Dockerfile" },
                },
            },
            form: "single",
        }));

    const errors: { name: string; dir: string; stack: string; message: string }[] = [
        {
            name: "missing stack lists known stacks",
            dir: good,
            stack: "qa",
            message: `stack "qa" has no config file ${path.join(good, "Pulumi.qa.yaml")} (known stacks: dev, prod, staging)`,
        },
        {
            name: "malformed YAML names file and line",
            dir: bad,
            stack: "broken",
            message: `${path.join(bad, "Pulumi.broken.yaml")}:3: malformed YAML: Map keys must be unique`,
        },
        {
            name: "validation errors name the file",
            dir: bad,
            stack: "prod",
            message: [
                `${path.join(bad, "Pulumi.prod.yaml")}: image-release:repository: must be a repository without a tag or digest (pin with image-release:digest) (got "${REPO}:1.4.2")`,
                `${path.join(bad, "Pulumi.prod.yaml")}: image-release:digest: expected a digest sha256:<64 hex>, not a tag (got "1.4.2")`,
            ].join("\n"),
        },
    ];
    for (const c of errors) {
        it(`refuses: ${c.name}`, () =>
            assert.throws(() => readStackConfig(c.dir, c.stack), {
                name: "StackConfigError",
                message: c.message,
            }));
    }
});
