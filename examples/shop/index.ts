// The shop: a team's own Pulumi program, as it adopts image-release. Two images (api, worker) are
// released as one set: dev builds them, staging and prod pin the combination that ran together before.
// The api runs from the local Helm chart, the worker from a plain YAML CronJob; neither names a digest:
// the stack transform that `releaseStack` registers pins every workload image of the set.
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
// In your own project: import { releaseStack } from "pulumi-image-release";
import { releaseStack } from "../../src";

export = async () => {
    const stack = await releaseStack();
    const api = new k8s.helm.v4.Chart(
        "api",
        {
            chart: path.join(__dirname, "chart"),
            namespace: stack.namespace,
            values: { image: { repository: stack.images.api.repository } },
        },
        stack.workloadOptions,
    );
    // The CronJob as the file has it; only its namespace is the stack's.
    const cronJob = parse(fs.readFileSync(path.join(__dirname, "cronjob.yaml"), "utf8"));
    const worker = new k8s.yaml.v2.ConfigGroup(
        "worker",
        { objs: [{ ...cronJob, metadata: { ...cronJob.metadata, namespace: stack.namespace } }] },
        stack.workloadOptions,
    );
    // The stack's outputs; each image's channel tag moves once these workloads are applied.
    return stack.exports([api, worker]);
};
