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

describe("policy/validators", () => {
    const rows: {
        name: string;
        stack: string;
        type: string;
        props: Record<string, unknown>;
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
            props: deployment(`r/hello@${D}`, { "image-release/signed-by": "someone" }),
            expected: [
                {
                    policy: "signed-digest-required",
                    message:
                        "stack prod requires a digest signed by a trusted key: the Deployment has no image-release/signed-by annotation (set image-release:signingKey; the program verifies the signature before it deploys)",
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
                resourceViolations({ type: r.type, urn: urn(r.stack, r.type), props: r.props }),
                r.expected,
            );
        });
    }

    it("each policy reports only its own violations through the @pulumi/policy callback", () => {
        const args = {
            type: "kubernetes:core/v1:Pod",
            urn: urn("prod", "kubernetes:core/v1:Pod"),
            props: { spec: { containers: [{ image: "r/x" }] } },
        };
        const reported: Record<string, string[]> = {};
        for (const p of policies) {
            reported[p.name] = [];
            const validate = p.validateResource as (a: unknown, report: (m: string) => void) => void;
            validate(args, (m) => reported[p.name].push(m));
        }
        assert.deepStrictEqual(reported, {
            "no-latest-tag": ['image "r/x" has no tag or digest (implicitly :latest); pin it by digest'],
            "digest-pins-required": [
                'stack prod requires digest-pinned images (repo@sha256:<64 hex>); got "r/x"',
            ],
            "oci-labels-present": [],
            "signed-digest-required": [],
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
