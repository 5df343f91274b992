import * as assert from "assert";
import { policies, resourceViolations } from "../../src/policy";
import { spawn } from "child_process";
import * as path from "path";

const D = "sha256:" + "0123456789abcdef".repeat(4);
const urn = (stack: string, type: string) => `urn:pulumi:${stack}::image-release::${type}::x`;
const deployment = (image: string, annotations?: Record<string, string>) => ({
    ...(annotations ? { metadata: { annotations } } : {}),
    spec: { template: { spec: { containers: [{ name: "c", image }] } } },
});
const SIGNED = { "image-release/signed-by": "sha256:0123456789abcdef" };
/** The pack's own config (--policy-pack-config): the key ids prod may run signatures of. */
const TRUSTED = { trustedKeys: ["sha256:0123456789abcdef", "sha256:fedcba9876543210"] };
const template = (image: string) => ({ template: { spec: { containers: [{ name: "c", image }] } } });
const unsigned = (kind: string) =>
    `stack prod requires a digest signed by a trusted key: the ${kind} has no image-release/signed-by annotation (set image-release:signingKey; the program verifies the signature before it deploys)`;

describe("policy/validators", () => {
    const rows: {
        name: string;
        stack: string;
        type: string;
        props: Record<string, unknown>;
        config?: Record<string, unknown>;
        expected: { policy: string; message: string }[];
    }[] = [
        {
            name: "pinned, signed deployment in prod",
            stack: "prod",
            type: "kubernetes:apps/v1:Deployment",
            props: deployment(`r/hello@${D}`, SIGNED),
            expected: [],
        },
        {
            name: "pinned deployment in prod without a verified signature",
            stack: "prod",
            type: "kubernetes:apps/v1:Deployment",
            props: deployment(`r/hello@${D}`),
            expected: [{ policy: "signed-digest-required", message: unsigned("Deployment") }],
        },
        {
            name: "prod deployment signed by a key the pack does not trust (any 16 hex used to pass)",
            stack: "prod",
            type: "kubernetes:apps/v1:Deployment",
            props: deployment(`r/hello@${D}`, { "image-release/signed-by": "sha256:ffffffffffffffff" }),
            expected: [
                {
                    policy: "signed-digest-required",
                    message:
                        "stack prod requires a digest signed by a trusted key: the Deployment's image-release/signed-by annotation names key \"sha256:ffffffffffffffff\", which is not one of the policy pack's trusted keys (sha256:0123456789abcdef, sha256:fedcba9876543210)",
                },
            ],
        },
        {
            name: "a signed-by value that is no key id is named, escaped",
            stack: "prod",
            type: "kubernetes:apps/v1:Deployment",
            props: deployment(`r/hello@${D}`, { "image-release/signed-by": "someone\u001b[2J" }),
            expected: [
                {
                    policy: "signed-digest-required",
                    message:
                        "stack prod requires a digest signed by a trusted key: the Deployment's image-release/signed-by annotation names key \"someone\\u001b[2J\", which is not one of the policy pack's trusted keys (sha256:0123456789abcdef, sha256:fedcba9876543210)",
                },
            ],
        },
        {
            name: "a pack run without trusted keys refuses every prod workload, and says how to pass them",
            stack: "prod",
            type: "kubernetes:apps/v1:Deployment",
            props: deployment(`r/hello@${D}`, SIGNED),
            config: {},
            expected: [
                {
                    policy: "signed-digest-required",
                    message:
                        'stack prod requires a digest signed by a trusted key, and the policy pack trusts none: run it with --policy-pack-config <file> holding {"signed-digest-required":{"trustedKeys":["sha256:<16 hex>"]}}, the ids of the release\'s public keys as `image-release verify` prints them',
                },
            ],
        },
        {
            name: "a malformed trusted key in the pack config is named",
            stack: "prod",
            type: "kubernetes:apps/v1:Deployment",
            props: deployment(`r/hello@${D}`, SIGNED),
            config: { trustedKeys: ["sha256:0123456789abcdef", "cosign.pub"] },
            expected: [
                {
                    policy: "signed-digest-required",
                    message:
                        'policy pack config signed-digest-required.trustedKeys: "cosign.pub" is not a key id (sha256:<16 hex>, as `image-release verify` prints it)',
                },
            ],
        },
        {
            name: "a trusted-keys config that is not a list is named",
            stack: "prod",
            type: "kubernetes:apps/v1:Deployment",
            props: deployment(`r/hello@${D}`, SIGNED),
            config: { trustedKeys: "sha256:0123456789abcdef" },
            expected: [
                {
                    policy: "signed-digest-required",
                    message:
                        'policy pack config signed-digest-required.trustedKeys: expected a list of key ids (sha256:<16 hex>), got "sha256:0123456789abcdef"',
                },
            ],
        },
        {
            name: "pinned deployment in staging needs no signature",
            stack: "staging",
            type: "kubernetes:apps/v1:Deployment",
            props: deployment(`r/hello@${D}`),
            expected: [],
        },
        {
            name: ":latest in dev",
            stack: "dev",
            type: "kubernetes:apps/v1:Deployment",
            props: deployment("r/hello:latest"),
            expected: [
                {
                    policy: "no-latest-tag",
                    message: 'image "r/hello:latest" uses the :latest tag; pin it by digest',
                },
            ],
        },
        {
            name: "untagged Pod in staging",
            stack: "staging",
            type: "kubernetes:core/v1:Pod",
            props: { spec: { containers: [{ image: "127.0.0.1:5000/hello" }] } },
            expected: [
                {
                    policy: "no-latest-tag",
                    message:
                        'image "127.0.0.1:5000/hello" has no tag or digest (implicitly :latest); pin it by digest',
                },
                {
                    policy: "digest-pins-required",
                    message:
                        'stack staging requires digest-pinned images (repo@sha256:<64 hex>); got "127.0.0.1:5000/hello"',
                },
            ],
        },
        {
            name: "version tag in a prod Job",
            stack: "prod",
            type: "kubernetes:batch/v1:Job",
            props: { spec: { template: { spec: { containers: [{ image: "r/hello:1.4.2" }] } } } },
            expected: [
                {
                    policy: "digest-pins-required",
                    message:
                        'stack prod requires digest-pinned images (repo@sha256:<64 hex>); got "r/hello:1.4.2"',
                },
                { policy: "signed-digest-required", message: unsigned("Job") },
            ],
        },
        {
            name: "version tag in dev is allowed",
            stack: "dev",
            type: "kubernetes:batch/v1:Job",
            props: { spec: { template: { spec: { containers: [{ image: "r/hello:1.4.2" }] } } } },
            expected: [],
        },
        {
            name: "CronJob with :latest init container",
            stack: "dev",
            type: "kubernetes:batch/v1:CronJob",
            props: {
                spec: {
                    jobTemplate: {
                        spec: {
                            template: {
                                spec: {
                                    initContainers: [{ image: "r/x:latest" }],
                                    containers: [{ image: `r/x@${D}` }],
                                },
                            },
                        },
                    },
                },
            },
            expected: [
                {
                    policy: "no-latest-tag",
                    message: 'image "r/x:latest" uses the :latest tag; pin it by digest',
                },
            ],
        },
        ...["StatefulSet", "DaemonSet", "ReplicaSet"].map((kind) => ({
            name: `an unsigned, unpinned prod ${kind} (only Deployments were judged)`,
            stack: "prod",
            type: `kubernetes:apps/v1:${kind}`,
            props: { spec: template("r/hello:latest") },
            expected: [
                {
                    policy: "no-latest-tag",
                    message: 'image "r/hello:latest" uses the :latest tag; pin it by digest',
                },
                {
                    policy: "digest-pins-required",
                    message:
                        'stack prod requires digest-pinned images (repo@sha256:<64 hex>); got "r/hello:latest"',
                },
                { policy: "signed-digest-required", message: unsigned(kind) },
            ],
        })),
        ...[
            ["kubernetes:core/v1:Pod", { spec: { containers: [{ image: `r/x@${D}` }] } }, "Pod"],
            ["kubernetes:batch/v1:Job", { spec: template(`r/x@${D}`) }, "Job"],
            [
                "kubernetes:core/v1:ReplicationController",
                { spec: template(`r/x@${D}`) },
                "ReplicationController",
            ],
            [
                "kubernetes:batch/v1:CronJob",
                { spec: { jobTemplate: { spec: template(`r/x@${D}`) } } },
                "CronJob",
            ],
            ["kubernetes:extensions/v1beta1:Deployment", { spec: template(`r/x@${D}`) }, "Deployment"],
            [
                "kubernetes:batch/v1beta1:CronJob",
                { spec: { jobTemplate: { spec: template(`r/x@${D}`) } } },
                "CronJob",
            ],
        ].map(([type, props, kind]) => ({
            name: `a pinned prod ${type as string} still needs a trusted signature`,
            stack: "prod",
            type: type as string,
            props: props as Record<string, unknown>,
            expected: [{ policy: "signed-digest-required", message: unsigned(kind as string) }],
        })),
        {
            name: "a signed prod StatefulSet passes",
            stack: "prod",
            type: "kubernetes:apps/v1:StatefulSet",
            props: { metadata: { annotations: SIGNED }, spec: template(`r/x@${D}`) },
            expected: [],
        },
        {
            name: "an unpinned staging DaemonSet init container",
            stack: "staging",
            type: "kubernetes:apps/v1:DaemonSet",
            props: {
                spec: {
                    template: {
                        spec: {
                            initContainers: [{ image: "r/setup:1.0" }],
                            containers: [{ image: `r/x@${D}` }],
                        },
                    },
                },
            },
            expected: [
                {
                    policy: "digest-pins-required",
                    message:
                        'stack staging requires digest-pinned images (repo@sha256:<64 hex>); got "r/setup:1.0"',
                },
            ],
        },
        {
            name: "a DeploymentPatch that sets an image is judged like the Deployment it patches",
            stack: "prod",
            type: "kubernetes:apps/v1:DeploymentPatch",
            props: { metadata: { name: "hello" }, spec: template("r/hello:latest") },
            expected: [
                {
                    policy: "no-latest-tag",
                    message: 'image "r/hello:latest" uses the :latest tag; pin it by digest',
                },
                {
                    policy: "digest-pins-required",
                    message:
                        'stack prod requires digest-pinned images (repo@sha256:<64 hex>); got "r/hello:latest"',
                },
                { policy: "signed-digest-required", message: unsigned("DeploymentPatch") },
            ],
        },
        {
            name: "a DeploymentPatch that sets no image needs no signature",
            stack: "prod",
            type: "kubernetes:apps/v1:DeploymentPatch",
            props: { metadata: { name: "hello" }, spec: { replicas: 3 } },
            expected: [],
        },
        {
            name: "credentials in an image are never quoted back",
            stack: "prod",
            type: "kubernetes:core/v1:Pod",
            props: {
                metadata: { annotations: SIGNED },
                spec: { containers: [{ image: "robot:s3cret@registry.example.com/app:latest" }] },
            },
            expected: [
                {
                    policy: "no-latest-tag",
                    message:
                        'image "<redacted>@registry.example.com/app:latest" uses the :latest tag; pin it by digest',
                },
                {
                    policy: "digest-pins-required",
                    message:
                        'stack prod requires digest-pinned images (repo@sha256:<64 hex>); got "<redacted>@registry.example.com/app:latest"',
                },
            ],
        },
        {
            name: "MultiArchImage without revision/version labels",
            stack: "dev",
            type: "pulumi-nodejs:dynamic:Resource",
            props: { contextHash: "h", labels: { "org.opencontainers.image.source": "s" } },
            expected: [
                {
                    policy: "oci-labels-present",
                    message:
                        "MultiArchImage is missing OCI label(s) org.opencontainers.image.revision, org.opencontainers.image.version",
                },
            ],
        },
        {
            name: "MultiArchImage with all labels",
            stack: "dev",
            type: "pulumi-nodejs:dynamic:Resource",
            props: {
                contextHash: "h",
                labels: {
                    "org.opencontainers.image.source": "s",
                    "org.opencontainers.image.revision": "r",
                    "org.opencontainers.image.version": "v",
                },
            },
            expected: [],
        },
        {
            name: "the MultiArchImage component registers no inputs under the engine: its child is judged",
            stack: "dev",
            type: "image-release:image:MultiArchImage",
            props: {},
            expected: [],
        },
        {
            name: "other dynamic resources are ignored",
            stack: "dev",
            type: "pulumi-nodejs:dynamic:Resource",
            props: { tag: "dev" },
            expected: [],
        },
    ];
    for (const r of rows) {
        it(r.name, () => {
            assert.deepStrictEqual(
                resourceViolations(
                    { type: r.type, urn: urn(r.stack, r.type), props: r.props },
                    undefined,
                    r.config ?? TRUSTED,
                ),
                r.expected,
            );
        });
    }

    /** Runs every policy of the pack the way @pulumi/policy calls it, with `config` as each one's getConfig(). */
    const runPack = async (
        args: { type: string; urn: string; props: unknown },
        config: Record<string, unknown>,
    ) => {
        const reported: Record<string, string[]> = {};
        for (const p of policies) {
            reported[p.name] = [];
            const validate = p.validateResource as (a: unknown, report: (m: string) => void) => unknown;
            await validate({ ...args, getConfig: () => config[p.name] ?? {} }, (m) =>
                reported[p.name].push(m),
            );
        }
        return reported;
    };

    it("each policy reports only its own violations through the @pulumi/policy callback", async () => {
        const args = {
            type: "kubernetes:core/v1:Pod",
            urn: urn("prod", "kubernetes:core/v1:Pod"),
            props: { spec: { containers: [{ image: "r/x" }] } },
        };
        assert.deepStrictEqual(await runPack(args, { "signed-digest-required": TRUSTED }), {
            "no-latest-tag": ['image "r/x" has no tag or digest (implicitly :latest); pin it by digest'],
            "digest-pins-required": [
                'stack prod requires digest-pinned images (repo@sha256:<64 hex>); got "r/x"',
            ],
            "oci-labels-present": [],
            "signed-digest-required": [unsigned("Pod")],
            // Not a digest: nothing to read rejections of.
            "rejected-digest-refused": [],
        });
    });

    it("signed-digest-required takes its trusted keys from its own --policy-pack-config, nowhere else", async () => {
        const signedBy = (key: string) => ({
            type: "kubernetes:apps/v1:Deployment",
            urn: urn("prod", "kubernetes:apps/v1:Deployment"),
            props: deployment(`r/hello@${D}`, { "image-release/signed-by": key }),
        });
        const signed = async (key: string, config: Record<string, unknown>) =>
            (await runPack(signedBy(key), config))["signed-digest-required"];
        assert.deepStrictEqual(
            await signed("sha256:fedcba9876543210", { "signed-digest-required": TRUSTED }),
            [],
        );
        assert.deepStrictEqual(
            await signed("sha256:fedcba9876543210", {
                "signed-digest-required": { trustedKeys: ["sha256:0123456789abcdef"] },
            }),
            [
                "stack prod requires a digest signed by a trusted key: the Deployment's image-release/signed-by annotation names key \"sha256:fedcba9876543210\", which is not one of the policy pack's trusted keys (sha256:0123456789abcdef)",
            ],
        );
        // Another policy's config is not this one's.
        assert.strictEqual((await signed("sha256:fedcba9876543210", { "no-latest-tag": TRUSTED })).length, 1);
    });

    it("signed-digest-required declares its config, so the Pulumi CLI validates --policy-pack-config", () => {
        const p = policies.find((x) => x.name === "signed-digest-required");
        assert.deepStrictEqual(JSON.parse(JSON.stringify(p?.configSchema)), {
            properties: {
                trustedKeys: {
                    type: "array",
                    items: { type: "string", pattern: "^sha256:[0-9a-f]{16}$" },
                    description:
                        "Key ids (sha256:<16 hex>, as `image-release verify` prints them) whose signatures prod may run.",
                },
            },
        });
    });

    it("oci-labels-present never reads a workload's spec, which a preview may not know yet", () => {
        const unknownSpec = {
            get spec(): unknown {
                throw new Error("string value at .spec can't be known during preview");
            },
        };
        const args = { type: "kubernetes:apps/v1:Deployment", urn: urn("dev", "x"), props: unknownSpec };
        const labels = policies.find((p) => p.name === "oci-labels-present");
        const validate = labels?.validateResource as (a: unknown, report: (m: string) => void) => void;
        const reported: string[] = [];
        validate(args, (m) => reported.push(m));
        assert.deepStrictEqual(reported, []);
        assert.throws(() => resourceViolations(args), /can't be known during preview/);
    });

    it("src/policy/pack starts as a policy pack the way the Pulumi CLI runs it", async function () {
        this.timeout(90_000);
        // The CLI runs `run-policy-pack <engine> . -typescript=true` with the pack directory as cwd and
        // expects the analyzer's gRPC port as the first line of stdout.
        const pack = path.resolve("src/policy/pack");
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
        const child = spawn(process.execPath, [runner, "127.0.0.1:1", ".", "-typescript=true"], {
            cwd: pack,
        });
        try {
            const firstLine = await new Promise<string>((resolve, reject) => {
                let out = "";
                let err = "";
                child.stdout.on("data", (d: Buffer) => {
                    out += d.toString();
                    if (out.includes("\n")) resolve(out.split("\n")[0]);
                });
                child.stderr.on("data", (d: Buffer) => (err += d.toString()));
                child.on("exit", (code) => reject(new Error(`pack exited ${code}: ${err}`)));
            });
            assert.match(firstLine, /^\d+$/);
        } finally {
            child.kill();
        }
    });
});
