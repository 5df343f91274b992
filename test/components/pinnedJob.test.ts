import * as assert from "assert";
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ofType, promiseOf, resetRecorded, setMocks, settle, unknownOutput } from "../helpers/mocks";
import { itRefusesArgs, RefusalRow } from "../helpers/refusals";
import type { PinnedJob as PinnedJobT, PinnedJobArgs } from "../../src/components/pinnedJob";
import { jobName, jobSpec } from "../../src/components/jobSpec";

const REPO = "127.0.0.1:5000/image-release/hello";
const D = "sha256:" + "0123456789abcdef".repeat(4);
const D2 = "sha256:" + "f".repeat(64);

describe("components/PinnedJob", () => {
    let PinnedJob: typeof PinnedJobT;
    before(async () => {
        await setMocks("dev");
        ({ PinnedJob } = await import("../../src/components/pinnedJob"));
    });
    beforeEach(resetRecorded);

    const base: PinnedJobArgs = { repository: REPO, digest: D, gitSha: "0123abc", datasetVersion: "v7" };

    it("jobName is deterministic and changes with digest, code or dataset", () => {
        const n = jobName({ baseName: "train", digest: D, gitSha: "0123abc", datasetVersion: "v7" });
        const hash = createHash("sha256").update(`${D}\n0123abc\nv7`).digest("hex");
        assert.strictEqual(n, `train-${hash.slice(0, 10)}`);
        assert.strictEqual(
            jobName({ baseName: "train", digest: D, gitSha: "0123abc", datasetVersion: "v7" }),
            n,
        );
        const variants = [
            { digest: D2, gitSha: "0123abc", datasetVersion: "v7" },
            { digest: D, gitSha: "4567def", datasetVersion: "v7" },
            { digest: D, gitSha: "0123abc", datasetVersion: "v8" },
        ];
        for (const v of variants) assert.notStrictEqual(jobName({ baseName: "train", ...v }), n);
    });

    it("records digest, git sha and dataset as annotations and outputs, with the exact Job inputs", async () => {
        const job = new PinnedJob("train", { ...base, command: ["--epochs", "3"] });
        assert.strictEqual(await promiseOf(job.image), `${REPO}@${D}`);
        assert.strictEqual(await promiseOf(job.digest), D);
        assert.strictEqual(await promiseOf(job.gitSha), "0123abc");
        assert.strictEqual(await promiseOf(job.datasetVersion), "v7");
        await settle();
        const [j] = ofType("kubernetes:batch/v1:Job");
        const name = jobName({ baseName: "train", digest: D, gitSha: "0123abc", datasetVersion: "v7" });
        const annotations = {
            "image-release/digest": D,
            "image-release/git-sha": "0123abc",
            "image-release/dataset-version": "v7",
        };
        assert.strictEqual(j.name, "train-job");
        assert.deepStrictEqual(j.inputs.metadata, { name, namespace: "default", annotations });
        assert.deepStrictEqual(j.inputs.spec, {
            backoffLimit: 0,
            template: {
                metadata: { annotations },
                spec: {
                    restartPolicy: "Never",
                    containers: [{ name: "train", image: `${REPO}@${D}`, args: ["--epochs", "3"] }],
                },
            },
        });
    });

    it("the same config twice gives the identical Job spec", async () => {
        new PinnedJob("train", base);
        await settle();
        const first = JSON.stringify(ofType("kubernetes:batch/v1:Job")[0].inputs);
        resetRecorded();
        new PinnedJob("train", base);
        await settle();
        assert.strictEqual(JSON.stringify(ofType("kubernetes:batch/v1:Job")[0].inputs), first);
        assert.deepStrictEqual(
            jobSpec({
                baseName: "train",
                repository: REPO,
                digest: D,
                gitSha: "0123abc",
                datasetVersion: "v7",
                backoffLimit: 0,
            }).metadata.name,
            JSON.parse(first).metadata.name,
        );
    });

    it("records the verifying key on the Job only, so the Job name and pod template stay the same", async () => {
        new PinnedJob("train", { ...base, signedBy: "sha256:0123456789abcdef" });
        await settle();
        const signed = ofType("kubernetes:batch/v1:Job")[0].inputs;
        resetRecorded();
        new PinnedJob("train", base);
        await settle();
        const plain = ofType("kubernetes:batch/v1:Job")[0].inputs;
        assert.strictEqual(signed.metadata.annotations["image-release/signed-by"], "sha256:0123456789abcdef");
        assert.strictEqual(plain.metadata.annotations["image-release/signed-by"], undefined);
        assert.strictEqual(signed.metadata.name, plain.metadata.name);
        assert.deepStrictEqual(signed.spec, plain.spec);
    });

    it("cuts a long base name to 50 characters, so the name stays within Kubernetes' 63", () => {
        const hash = createHash("sha256").update(`${D}\n0123abc\nv7`).digest("hex");
        assert.strictEqual(
            jobName({ baseName: "b".repeat(80), digest: D, gitSha: "0123abc", datasetVersion: "v7" }),
            `${"b".repeat(50)}-${hash.slice(0, 10)}`,
        );
    });

    const header = 'invalid arguments for PinnedJob "t":\n  ';
    const bad: { name: string; args: Partial<PinnedJobArgs>; message: string }[] = [
        {
            name: "a tag and a missing dataset version together",
            args: { digest: "latest", datasetVersion: "" },
            message:
                header +
                'digest: must be a sha256 digest, not a tag (got "latest")\n' +
                "  datasetVersion: is required",
        },
        {
            name: "a negative backoffLimit",
            args: { backoffLimit: -1 },
            message: header + 'backoffLimit: must be a non-negative integer (got "-1")',
        },
        {
            name: "a fractional backoffLimit",
            args: { backoffLimit: 2.5 },
            message: header + 'backoffLimit: must be a non-negative integer (got "2.5")',
        },
        {
            name: "a namespace that is no RFC 1123 label",
            args: { namespace: "ML.Team" },
            message:
                header +
                'namespace: must be an RFC 1123 label: lowercase alphanumerics or "-", starting and ending with an alphanumeric (got "ML.Team")',
        },
        {
            name: "a 64-character namespace",
            args: { namespace: "n".repeat(64) },
            message:
                header +
                `namespace: must be an RFC 1123 label of at most 63 characters, not 64 (got "${"n".repeat(64)}")`,
        },
        {
            name: "an empty dataset version",
            args: { datasetVersion: "" },
            message: header + "datasetVersion: is required",
        },
        {
            name: "a missing git sha, a bad namespace and backoffLimit, all at once",
            args: { gitSha: "", namespace: "-ml", backoffLimit: -3 },
            message:
                header +
                "gitSha: is required\n" +
                '  namespace: must be an RFC 1123 label: lowercase alphanumerics or "-", starting and ending with an alphanumeric (got "-ml")\n' +
                '  backoffLimit: must be a non-negative integer (got "-3")',
        },
    ];
    itRefusesArgs<PinnedJobArgs>({
        componentType: "image-release:train:PinnedJob",
        rows: bad,
        make: (args) => new PinnedJob("t", { ...base, ...args }),
        outputOf: (c) => (c as InstanceType<typeof PinnedJob>).jobName,
    });

    it("accepts backoffLimit 0 and 6 and a namespace given as an Output", async () => {
        new PinnedJob("a", { ...base, backoffLimit: 6, namespace: pulumi.output("ml-team") });
        new PinnedJob("b", { ...base, backoffLimit: pulumi.output(0), namespace: "ml" });
        await settle();
        // Registration order is the SDK's, so key by name.
        assert.deepStrictEqual(
            Object.fromEntries(
                ofType("kubernetes:batch/v1:Job").map((r) => [
                    r.name,
                    [r.inputs.metadata.namespace, r.inputs.spec.backoffLimit],
                ]),
            ),
            { "a-job": ["ml-team", 6], "b-job": ["ml", 0] },
        );
    });

    describe("the full pod template", () => {
        const full: Partial<PinnedJobArgs> = {
            container: {
                command: ["/train"],
                env: [{ name: "EPOCHS", value: pulumi.output("3") }],
                resources: { limits: { cpu: "2", memory: "4Gi" } },
                volumeMounts: [{ name: "data", mountPath: "/data" }],
            },
            podSpec: {
                restartPolicy: "OnFailure",
                serviceAccountName: "trainer",
                imagePullSecrets: [{ name: "pull-5001" }],
                volumes: [{ name: "data", persistentVolumeClaim: { claimName: "datasets" } }],
                nodeSelector: { gpu: "true" },
                tolerations: [{ key: "gpu", operator: "Exists", effect: "NoSchedule" }],
                initContainers: [{ name: "fetch", image: `${REPO}-fetch@${D}` }],
            },
            podMetadata: {
                labels: { team: "ml" },
                annotations: { "image-release/digest": "mine", note: "x" },
            },
            jobSpec: { activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: 86400 },
        };
        const annotations = {
            "image-release/digest": D,
            "image-release/git-sha": "0123abc",
            "image-release/dataset-version": "v7",
        };

        for (const [how, args] of [
            ["as plain values", full],
            [
                "each arg an Output",
                Object.fromEntries(Object.entries(full).map(([k, v]) => [k, pulumi.output(v)])),
            ],
        ] as const) {
            it(`passes every field through exactly, with the pinned image and today's Job name: ${how}`, async () => {
                new PinnedJob("train", { ...base, command: ["--epochs", "3"], backoffLimit: 2, ...args });
                await settle();
                const [j] = ofType("kubernetes:batch/v1:Job");
                const name = jobName({
                    baseName: "train",
                    digest: D,
                    gitSha: "0123abc",
                    datasetVersion: "v7",
                });
                assert.deepStrictEqual(j.inputs.metadata, { name, namespace: "default", annotations });
                assert.deepStrictEqual(j.inputs.spec, {
                    activeDeadlineSeconds: 3600,
                    ttlSecondsAfterFinished: 86400,
                    backoffLimit: 2,
                    template: {
                        metadata: { labels: { team: "ml" }, annotations: { note: "x", ...annotations } },
                        spec: {
                            restartPolicy: "OnFailure",
                            serviceAccountName: "trainer",
                            imagePullSecrets: [{ name: "pull-5001" }],
                            volumes: [{ name: "data", persistentVolumeClaim: { claimName: "datasets" } }],
                            nodeSelector: { gpu: "true" },
                            tolerations: [{ key: "gpu", operator: "Exists", effect: "NoSchedule" }],
                            initContainers: [{ name: "fetch", image: `${REPO}-fetch@${D}` }],
                            containers: [
                                {
                                    name: "train",
                                    image: `${REPO}@${D}`,
                                    args: ["--epochs", "3"],
                                    command: ["/train"],
                                    env: [{ name: "EPOCHS", value: "3" }],
                                    resources: { limits: { cpu: "2", memory: "4Gi" } },
                                    volumeMounts: [{ name: "data", mountPath: "/data" }],
                                },
                            ],
                        },
                    },
                });
            });
        }

        it("empty pod-template args leave the minimal Job exactly as it was", async () => {
            new PinnedJob("train", base);
            await settle();
            const minimal = JSON.stringify(ofType("kubernetes:batch/v1:Job")[0].inputs);
            resetRecorded();
            new PinnedJob("train", { ...base, container: {}, podSpec: {}, podMetadata: {}, jobSpec: {} });
            await settle();
            assert.strictEqual(JSON.stringify(ofType("kubernetes:batch/v1:Job")[0].inputs), minimal);
        });

        it("container.args stand in for the command arg, and container.name renames the container", async () => {
            new PinnedJob("train", { ...base, container: { name: "fit", args: ["--fast"] } });
            await settle();
            assert.deepStrictEqual(
                ofType("kubernetes:batch/v1:Job")[0].inputs.spec.template.spec.containers,
                [{ name: "fit", image: `${REPO}@${D}`, args: ["--fast"] }],
            );
        });

        const badTemplate: RefusalRow<PinnedJobArgs>[] = [
            {
                name: "an image on the main container",
                args: { container: { image: `${REPO}:latest` } as never },
                message:
                    header +
                    `container.image: must be left unset: the pin sets the main container's image to repository@digest (got "${REPO}:latest")`,
            },
            {
                name: "a restartPolicy a Job cannot run",
                args: { podSpec: { restartPolicy: "Always" } },
                message:
                    header + 'podSpec.restartPolicy: must be "Never" or "OnFailure" for a Job (got "Always")',
            },
            {
                name: "container.args with the command arg",
                args: { command: ["--a"], container: { args: ["--b"] } },
                message:
                    header +
                    "container.args: conflicts with the command arg, which sets the same container args; set one of them",
            },
            {
                name: "a sidecar named like the main container",
                args: { podSpec: { containers: [{ name: "train", image: `${REPO}@${D}` }] } },
                message:
                    header +
                    'podSpec.containers[0].name: is the main container\'s name; give the sidecar another (got "train")',
            },
            {
                name: "the spec keys the component owns",
                args: { jobSpec: { backoffLimit: 3, template: {} } as never },
                message:
                    header +
                    "jobSpec.template: is the component's; set container, podSpec and podMetadata instead\n" +
                    "  jobSpec.backoffLimit: is the component's; set the backoffLimit arg instead",
            },
        ];
        itRefusesArgs<PinnedJobArgs>({
            componentType: "image-release:train:PinnedJob",
            rows: badTemplate,
            make: (args) => new PinnedJob("t", { ...base, ...args }),
            outputOf: (c) => (c as InstanceType<typeof PinnedJob>).jobName,
        });
    });
});

describe("components/PinnedJob: the pod template in a preview", () => {
    let PinnedJob: typeof PinnedJobT;
    before(async () => {
        await setMocks("staging", true);
        ({ PinnedJob } = await import("../../src/components/pinnedJob"));
    });
    beforeEach(resetRecorded);

    it("an unknown env value stays one unknown leaf: the Job name and image are known", async () => {
        const args = { repository: REPO, digest: D, gitSha: "0123abc", datasetVersion: "v7" };
        new PinnedJob("train", {
            ...args,
            container: { env: [{ name: "DATA", value: unknownOutput<string>() }] },
        });
        await settle();
        const [j] = ofType("kubernetes:batch/v1:Job");
        assert.strictEqual(j.inputs.metadata.name, jobName({ baseName: "train", ...args }));
        const [{ env, ...main }] = j.inputs.spec.template.spec.containers;
        assert.deepStrictEqual(main, { name: "train", image: `${REPO}@${D}` });
        assert.strictEqual(pulumi.isUnknown(env[0].value), true);
    });
});
