import * as assert from "assert";
import { ClusterDrift, clusterDrift, ClusterPin } from "../../src/release";

const API = "127.0.0.1:5000/shop/api";
const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const PINS: ClusterPin[] = [
    { image: "api", repository: API, digest: D1 },
    { image: "nginx", repository: "nginx", digest: D2 },
];

const deployment = (name: string, images: string[], init: string[] = []) => ({
    kind: "Deployment",
    metadata: { name },
    spec: {
        template: {
            spec: {
                initContainers: init.map((image, i) => ({ name: `init${i}`, image })),
                containers: images.map((image, i) => ({ name: `c${i}`, image })),
            },
        },
    },
});

const rows: { name: string; objects: unknown[]; drift: ClusterDrift[] }[] = [
    { name: "a workload on its pin", objects: [deployment("api", [`${API}@${D1}`])], drift: [] },
    {
        name: "a hand-run `kubectl set image` to a tag",
        objects: [deployment("api", [`${API}:1.0.0`])],
        drift: [
            {
                image: "api",
                workload: "Deployment/api",
                container: "c0",
                running: `${API}:1.0.0`,
                pinned: `${API}@${D1}`,
            },
        ],
    },
    {
        name: "another digest of the pinned repository, in an init container",
        objects: [deployment("api", [`${API}@${D1}`], [`${API}@${D2}`])],
        drift: [
            {
                image: "api",
                workload: "Deployment/api",
                container: "init0",
                running: `${API}@${D2}`,
                pinned: `${API}@${D1}`,
            },
        ],
    },
    {
        name: "a Docker Hub short name is its full repository",
        objects: [deployment("web", ["docker.io/library/nginx:1.27"])],
        drift: [
            {
                image: "nginx",
                workload: "Deployment/web",
                container: "c0",
                running: "docker.io/library/nginx:1.27",
                pinned: `nginx@${D2}`,
            },
        ],
    },
    { name: "an image of another repository", objects: [deployment("x", ["busybox:1.36"])], drift: [] },
    {
        name: "a Pod a ReplicaSet owns (an old Pod during a rollout)",
        objects: [
            {
                kind: "Pod",
                metadata: { name: "api-1", ownerReferences: [{ kind: "ReplicaSet", name: "api-1" }] },
                spec: { containers: [{ name: "api", image: `${API}@${D2}` }] },
            },
        ],
        drift: [],
    },
    {
        name: "a CronJob's job template",
        objects: [
            {
                kind: "CronJob",
                metadata: { name: "nightly" },
                spec: {
                    jobTemplate: {
                        spec: { template: { spec: { containers: [{ name: "w", image: API }] } } },
                    },
                },
            },
        ],
        drift: [
            {
                image: "api",
                workload: "CronJob/nightly",
                container: "w",
                running: API,
                pinned: `${API}@${D1}`,
            },
        ],
    },
    {
        name: "a Service and an unparsable image",
        objects: [{ kind: "Service", metadata: { name: "api" } }, deployment("bad", ["UPPER/Case:x"])],
        drift: [],
    },
];

describe("release/clusterDrift: what runs in a namespace against the stack's pins", () => {
    for (const r of rows) {
        it(r.name, () => assert.deepStrictEqual(clusterDrift(r.objects, PINS), r.drift));
    }
});
