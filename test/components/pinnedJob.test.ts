import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ofType, promiseOf, recorded, resetRecorded, setMocks, settle } from "../helpers/mocks";
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
        assert.match(n, /^train-[0-9a-f]{10}$/);
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

    it("refuses a tag and a missing dataset version together", async () => {
        assert.throws(
            () => new PinnedJob("t", { ...base, digest: "latest", datasetVersion: "" }),
            (e: unknown) =>
                pulumi.InputPropertiesError.isInstance(e) &&
                e.message ===
                    'invalid arguments for PinnedJob "t":\n  digest: must be a sha256 digest, not a tag (got "latest")\n  datasetVersion: is required',
        );
        await settle();
        assert.strictEqual(recorded.filter((r) => r.type === "kubernetes:batch/v1:Job").length, 0);
    });
});
