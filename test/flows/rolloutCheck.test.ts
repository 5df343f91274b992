import * as assert from "assert";
import { rolloutProblems } from "../../src/flows";

const API = "127.0.0.1:5000/shop/api";
const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const PINS = [{ image: "api", repository: API, digest: D1 }];

const deployment = (over: { image?: string; status?: Record<string, number>; replicas?: number } = {}) => ({
    kind: "Deployment",
    metadata: { name: "api", generation: 2 },
    spec: {
        replicas: over.replicas ?? 2,
        template: { spec: { containers: [{ name: "api", image: over.image ?? `${API}@${D1}` }] } },
    },
    status: over.status ?? { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2 },
});
const pod = (
    name: string,
    containers: { name: string; image: string; imageID?: string; restarts?: number }[],
    phase = "Running",
) => ({
    kind: "Pod",
    metadata: { name, ownerReferences: [{ kind: "ReplicaSet", name: "api-1" }] },
    spec: { containers: containers.map((c) => ({ name: c.name, image: c.image })) },
    status: {
        phase,
        containerStatuses: containers.map((c) => ({
            name: c.name,
            imageID: c.imageID ?? "",
            restartCount: c.restarts ?? 0,
        })),
    },
});
const onPin = (name: string) => pod(name, [{ name: "api", image: `${API}@${D1}`, imageID: `${API}@${D1}` }]);

const rows: { name: string; objects: unknown[]; allow?: string[]; problems: string[] }[] = [
    {
        name: "ready on the pin, Pods pulled the pinned bytes",
        objects: [deployment(), onPin("api-a"), onPin("api-b")],
        problems: [],
    },
    {
        name: "the controller has not seen the change",
        objects: [
            deployment({
                status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2 },
            }),
        ],
        problems: ["Deployment/api: its controller has not seen generation 2 yet"],
    },
    {
        name: "replicas not ready",
        objects: [
            deployment({
                status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 1 },
            }),
        ],
        problems: ["Deployment/api: 1 of 2 replicas ready"],
    },
    {
        name: "an old replica still runs",
        objects: [
            deployment({
                status: { observedGeneration: 2, replicas: 3, updatedReplicas: 2, readyReplicas: 2 },
            }),
        ],
        problems: ["Deployment/api: 1 old replica(s) still running"],
    },
    {
        name: "the workload runs another digest",
        objects: [deployment({ image: `${API}@${D2}` })],
        problems: [`Deployment/api container api runs ${API}@${D2}, not the pin ${API}@${D1}`],
    },
    {
        name: "a Pod pulled other bytes, and one restarted",
        objects: [
            deployment(),
            pod("api-a", [{ name: "api", image: `${API}@${D1}`, imageID: `${API}@${D2}` }]),
            pod("api-b", [{ name: "api", image: `${API}@${D1}`, imageID: `${API}@${D1}`, restarts: 3 }]),
        ],
        problems: [
            `Pod/api-a container api runs ${API}@${D2}, not the pin ${D1}`,
            "Pod/api-b container api restarted 3 times (at most 0)",
        ],
    },
    {
        name: "a sidecar neither pinned nor allowed; an allowed one passes",
        objects: [
            deployment(),
            pod("api-a", [
                { name: "api", image: `${API}@${D1}`, imageID: `${API}@${D1}` },
                { name: "proxy", image: "envoy:1.30" },
                { name: "log", image: `busybox@${D2}` },
            ]),
        ],
        allow: ["busybox"],
        problems: ["Pod/api-a container proxy runs envoy:1.30, which the stack neither pins nor allows"],
    },
    {
        name: "a finished Pod of an earlier run is not judged",
        objects: [
            deployment(),
            pod(
                "job-old",
                [{ name: "api", image: `${API}@${D2}`, imageID: `${API}@${D2}`, restarts: 5 }],
                "Succeeded",
            ),
        ],
        problems: [],
    },
    {
        name: "a CronJob of the pin counts as running it",
        objects: [
            {
                kind: "CronJob",
                metadata: { name: "nightly" },
                spec: {
                    jobTemplate: {
                        spec: { template: { spec: { containers: [{ name: "w", image: `${API}@${D1}` }] } } },
                    },
                },
            },
        ],
        problems: [],
    },
    {
        name: "a Job that failed",
        objects: [
            {
                kind: "Job",
                metadata: { name: "smoke" },
                spec: { template: { spec: { containers: [{ name: "s", image: `${API}@${D1}` }] } } },
                status: { failed: 1 },
            },
        ],
        problems: ["Job/smoke: 1 Pod(s) failed"],
    },
    {
        name: "nothing runs the pin",
        objects: [],
        problems: ["no workload in the namespace runs a pinned image"],
    },
];

describe("flows/rolloutCheck: the cluster's own view of a rollout", () => {
    for (const r of rows) {
        it(r.name, () =>
            assert.deepStrictEqual(rolloutProblems(r.objects, PINS, r.allow ?? [], 0), r.problems),
        );
    }
});
