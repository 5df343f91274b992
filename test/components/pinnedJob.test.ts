import * as assert from "assert";
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ofType, promiseOf, resetRecorded, setMocks, settle } from "../helpers/mocks";
import { itRefusesArgs } from "../helpers/refusals";
import type { PinnedJob as PinnedJobT, PinnedJobArgs } from "../../src/components/pinnedJob";
import { jobName, jobSpec } from "../../src/components/pinnedJob";

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
});
