import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { recorded, resetRecorded, setMocks, settle } from "../helpers/mocks";

const REPO = "127.0.0.1:5000/image-release/hello";
const D = "sha256:" + "0123456789abcdef".repeat(4);
const FIXTURE = path.join(__dirname, "..", "fixtures", "components", "minimalWorkloads.jsonl");

/**
 * The Deployments and Jobs users already have in state, as the components wrote them before they took
 * a pod template (recorded at ec143c0, up and preview): any byte of difference would roll every
 * Deployment and replace every Job on upgrade.
 */
describe("components: minimal args give the same workloads as before the pod-template args", () => {
    it("PinnedDeployment and PinnedJob, in an update and in a preview", async () => {
        const got: string[] = [];
        for (const preview of [false, true]) {
            await setMocks("staging", preview);
            const { PinnedDeployment } = await import("../../src/components/pinnedDeployment");
            const { PinnedJob } = await import("../../src/components/pinnedJob");
            resetRecorded();
            const base = {
                repository: REPO,
                digest: D,
                version: "1.4.2",
                gitSha: "0123abc",
                verifyDigest: false,
            };
            const job = { repository: REPO, digest: D, gitSha: "0123abc", datasetVersion: "v7" };
            const signedBy = "sha256:0123456789abcdef";
            new PinnedDeployment("a", { ...base, promotedFrom: "dev", namespace: "staging" });
            new PinnedDeployment("b", { ...base, service: true, containerPort: 9000, replicas: 3, signedBy });
            new PinnedDeployment("c", {
                ...base,
                digest: pulumi.output(D),
                namespace: pulumi.output("x"),
                revisionHistoryLimit: pulumi.output(2),
            });
            new PinnedJob("j1", job);
            new PinnedJob("j2", {
                ...job,
                digest: pulumi.output(D),
                command: ["--x"],
                backoffLimit: 2,
                namespace: "ml",
                signedBy,
            });
            new PinnedJob("j3", { ...job, command: pulumi.output(["--y"]) });
            new PinnedJob("j4", { ...job, command: pulumi.output(undefined as unknown as string[]) });
            await settle();
            const sorted = [...recorded].sort((x, y) => x.name.localeCompare(y.name));
            got.push(...sorted.map((r) => JSON.stringify(r)));
        }
        assert.deepStrictEqual(got, fs.readFileSync(FIXTURE, "utf8").trimEnd().split("\n"));
    });
});
