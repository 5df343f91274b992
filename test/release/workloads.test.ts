import * as assert from "assert";
import { WORKLOAD_KINDS, workloadImages, workloadOf } from "../../src/release";

const TEMPLATE = "spec.template.spec";

describe("workloadOf: the one list of workload kinds, by Pulumi type token", () => {
    const rows: [string, string | undefined, string | undefined, boolean?][] = [
        ["kubernetes:apps/v1:Deployment", "Deployment", TEMPLATE],
        ["kubernetes:apps/v1:StatefulSet", "StatefulSet", TEMPLATE],
        ["kubernetes:apps/v1:DaemonSet", "DaemonSet", TEMPLATE],
        ["kubernetes:apps/v1:ReplicaSet", "ReplicaSet", TEMPLATE],
        ["kubernetes:core/v1:ReplicationController", "ReplicationController", TEMPLATE],
        ["kubernetes:batch/v1:Job", "Job", TEMPLATE],
        ["kubernetes:batch/v1:CronJob", "CronJob", "spec.jobTemplate.spec.template.spec"],
        ["kubernetes:core/v1:Pod", "Pod", "spec"],
        // Groups that served the kind before it moved: still workloads when a program names them.
        ["kubernetes:extensions/v1beta1:Deployment", "Deployment", TEMPLATE],
        ["kubernetes:apps/v1beta2:StatefulSet", "StatefulSet", TEMPLATE],
        ["kubernetes:extensions/v1beta1:DaemonSet", "DaemonSet", TEMPLATE],
        ["kubernetes:batch/v1beta1:CronJob", "CronJob", "spec.jobTemplate.spec.template.spec"],
        ["kubernetes:batch/v2alpha1:CronJob", "CronJob", "spec.jobTemplate.spec.template.spec"],
        // Server-side apply patches set images too.
        ["kubernetes:apps/v1:DeploymentPatch", "Deployment", TEMPLATE, true],
        ["kubernetes:batch/v1:CronJobPatch", "CronJob", "spec.jobTemplate.spec.template.spec", true],
        ["kubernetes:core/v1:PodPatch", "Pod", "spec", true],
        // Not workloads: lists, other kinds, a kind in a group that never served it, non-Kubernetes types.
        ["kubernetes:apps/v1:DeploymentList", undefined, undefined],
        ["kubernetes:core/v1:Service", undefined, undefined],
        ["kubernetes:core/v1:PodTemplate", undefined, undefined],
        ["kubernetes:batch/v1:Deployment", undefined, undefined],
        ["kubernetes:apps/v1:Pod", undefined, undefined],
        ["kubernetes:yaml/v2:ConfigGroup", undefined, undefined],
        ["kubernetes:helm.sh/v4:Chart", undefined, undefined],
        ["image-release:k8s:PinnedDeployment", undefined, undefined],
        ["pulumi-nodejs:dynamic:Resource", undefined, undefined],
        ["kubernetes:apps/v1:Deployment ", undefined, undefined],
    ];
    for (const [type, kind, podSpec, patch] of rows) {
        it(`${JSON.stringify(type)} -> ${kind ?? "not a workload"}${patch ? " (patch)" : ""}`, () => {
            const w = workloadOf(type);
            assert.deepStrictEqual(
                w && { kind: w.kind.kind, podSpec: w.kind.podSpecPath.join("."), patch: w.patch },
                kind && { kind, podSpec, patch: patch ?? false },
            );
        });
    }

    it("lists each kind once", () => {
        const kinds = WORKLOAD_KINDS.map((k) => k.kind);
        assert.deepStrictEqual([...new Set(kinds)], kinds);
    });
});

describe("workloadImages", () => {
    const cronJob = workloadOf("kubernetes:batch/v1:CronJob")!.kind;
    it("init containers, containers and ephemeral containers, in order, with their names", () => {
        const props = {
            spec: {
                jobTemplate: {
                    spec: {
                        template: {
                            spec: {
                                containers: [
                                    { name: "train", image: "127.0.0.1:5000/t:1" },
                                    { name: "side", image: "r/side@sha256:abc" },
                                ],
                                initContainers: [{ name: "fetch", image: "r/fetch" }],
                                ephemeralContainers: [{ name: "debug", image: "busybox" }],
                            },
                        },
                    },
                },
            },
        };
        assert.deepStrictEqual(workloadImages(cronJob, props), [
            { field: "initContainers", name: "fetch", image: "r/fetch" },
            { field: "containers", name: "train", image: "127.0.0.1:5000/t:1" },
            { field: "containers", name: "side", image: "r/side@sha256:abc" },
            { field: "ephemeralContainers", name: "debug", image: "busybox" },
        ]);
    });

    const odd: [string, unknown][] = [
        ["no spec", {}],
        [
            "a pod spec that is not an object",
            { spec: { jobTemplate: { spec: { template: { spec: "x" } } } } },
        ],
        [
            "containers that are not a list",
            { spec: { jobTemplate: { spec: { template: { spec: { containers: {} } } } } } },
        ],
        [
            "a container without an image (a patch)",
            {
                spec: {
                    jobTemplate: { spec: { template: { spec: { containers: [{ name: "a" }, null, 3] } } } },
                },
            },
        ],
        ["props that are not an object", "x"],
    ];
    for (const [name, props] of odd) {
        it(`${name}: no images, no error`, () => {
            assert.deepStrictEqual(workloadImages(cronJob, props), []);
        });
    }
});
