import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ofType, resetRecorded, setMocks, settle } from "../helpers/mocks";
import { ImagePin, pinWorkload, pinWorkloads, pinWorkloadsTransform } from "../../src/components";

const API = "127.0.0.1:5000/shop/api";
const WORKER = "127.0.0.1:5000/shop/worker";
const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);
const KEY = "sha256:0123456789abcdef";

const PINS: Record<string, ImagePin> = {
    api: {
        repository: API,
        digest: D1,
        version: "1.4.2",
        gitSha: "0123abc",
        promotedFrom: "dev",
        signedBy: KEY,
    },
    worker: { repository: WORKER, digest: D2, version: "1.4.3", gitSha: "4567def" },
};

const API_POD = {
    "image-release/version": "1.4.2",
    "image-release/digest": D1,
    "image-release/git-sha": "0123abc",
};
const API_DEPLOYMENT = {
    "kubernetes.io/change-cause": "image-release 1.4.2 sha256:111111111111 (promoted from dev)",
    ...API_POD,
    "image-release/signed-by": KEY,
};
const WORKER_POD = {
    "image-release/version": "1.4.3",
    "image-release/digest": D2,
    "image-release/git-sha": "4567def",
};

type Json = Record<string, unknown>;
const template = (annotations: Json | undefined, image: string): Json => ({
    metadata: { labels: { app: "x" }, ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: "main", image }] },
});

describe("components/pinWorkload (pure)", () => {
    const rows: [string, string, Json, Json | undefined][] = [
        [
            "a Deployment: change-cause and signer on the object, release on the pod template",
            "kubernetes:apps/v1:Deployment",
            {
                metadata: { name: "web", annotations: { team: "shop" } },
                spec: { template: template({ a: "b" }, `${API}:1.4.2`) },
            },
            {
                metadata: { name: "web", annotations: { team: "shop", ...API_DEPLOYMENT } },
                spec: { template: template({ a: "b", ...API_POD }, `${API}@${D1}`) },
            },
        ],
        [
            "a StatefulSet has a rollout history too",
            "kubernetes:apps/v1:StatefulSet",
            { spec: { template: template(undefined, API) } },
            {
                metadata: { annotations: API_DEPLOYMENT },
                spec: { template: template(API_POD, `${API}@${D1}`) },
            },
        ],
        [
            "a CronJob: no change-cause; the nested pod template gets the release",
            "kubernetes:batch/v1:CronJob",
            {
                spec: {
                    schedule: "0 3 * * *",
                    jobTemplate: { spec: { template: template(undefined, `${WORKER}:1.4.3`) } },
                },
            },
            {
                metadata: { annotations: WORKER_POD },
                spec: {
                    schedule: "0 3 * * *",
                    jobTemplate: { spec: { template: template(WORKER_POD, `${WORKER}@${D2}`) } },
                },
            },
        ],
        [
            "a Pod: its own metadata is its template; the signer is kept without a change-cause",
            "kubernetes:core/v1:Pod",
            { metadata: { name: "p" }, spec: { containers: [{ name: "main", image: API }] } },
            {
                metadata: { name: "p", annotations: { ...API_POD, "image-release/signed-by": KEY } },
                spec: { containers: [{ name: "main", image: `${API}@${D1}` }] },
            },
        ],
        [
            "a workload already at the digest is left exactly as it is (PinnedDeployment's own)",
            "kubernetes:apps/v1:Deployment",
            { spec: { template: template(undefined, `${API}@${D1}`) } },
            undefined,
        ],
        [
            "a non-workload is never touched",
            "kubernetes:core/v1:ConfigMap",
            { data: { image: `${API}:1.4.2` } },
            undefined,
        ],
        [
            "a Chart component itself is not a workload",
            "kubernetes:helm.sh/v4:Chart",
            { chart: "./chart", values: { image: `${API}:1.4.2` } },
            undefined,
        ],
    ];
    for (const [what, type, props, want] of rows) {
        it(what, () => {
            assert.deepStrictEqual(pinWorkload(type, "r", props, PINS, { channel: "prod" }).props, want);
        });
    }

    it("the prod and staging channels are strict, dev is not, and mode overrides the channel", () => {
        const props = { spec: { template: template(undefined, "busybox:1.36") } };
        const type = "kubernetes:apps/v1:Deployment";
        for (const channel of ["prod", "staging"]) {
            assert.throws(
                () => pinWorkload(type, "r", props, PINS, { channel }),
                /an image the stack cannot deploy/,
            );
        }
        assert.strictEqual(pinWorkload(type, "r", props, PINS, { channel: "dev" }).props, undefined);
        assert.strictEqual(
            pinWorkload(type, "r", props, PINS, { channel: "prod", mode: "rewrite" }).props,
            undefined,
        );
        assert.throws(() => pinWorkload(type, "r", props, PINS, { mode: "strict" }), /cannot deploy/);
    });
});

describe("components/pinWorkloadsTransform: the end-of-program warning", () => {
    const warnings: string[] = [];
    const log = pulumi.log as unknown as { warn: (m: string) => Promise<void> };
    let warn: (m: string) => Promise<void>;
    before(() => {
        warn = log.warn;
        log.warn = async (m: string) => void warnings.push(m);
    });
    after(() => {
        log.warn = warn;
    });

    it("names every pinned image no workload ran, and is silent once each ran", async () => {
        for (const runs of [[], ["api"], ["api", "worker"]]) {
            warnings.length = 0;
            let report: () => void = () => assert.fail("no report registered");
            const t = pinWorkloadsTransform(PINS, {}, (r) => (report = r));
            for (const name of runs) {
                const image = name === "api" ? API : `${WORKER}@${D2}`;
                const props = { spec: { template: template(undefined, image) } };
                await t({ custom: true, type: "kubernetes:apps/v1:Deployment", name, props, opts: {} });
            }
            report();
            const never = ["api", "worker"].filter((n) => !runs.includes(n));
            const named = never.map((n) => `${n} (${PINS[n].repository}@${PINS[n].digest})`).join(", ");
            assert.deepStrictEqual(
                warnings,
                never.length === 0
                    ? []
                    : [`pinWorkloads: no workload in the stack runs ${named}; nothing was pinned to it`],
            );
        }
    });

    it("names an image this update builds by its repository: its digest is not known yet", () => {
        warnings.length = 0;
        let report: () => void = () => assert.fail("no report registered");
        pinWorkloadsTransform(PINS, { building: ["worker"] }, (r) => (report = r));
        report();
        assert.deepStrictEqual(warnings, [
            `pinWorkloads: no workload in the stack runs api (${API}@${D1}), worker (${WORKER}, built in this update); nothing was pinned to it`,
        ]);
    });

    it("pinWorkloads refuses a malformed set where the program calls it", () => {
        assert.throws(() => pinWorkloads({ api: { ...PINS.api, digest: "sha256:abc" } }), {
            name: "ReleaseRuleError",
            message: 'pinWorkloads: image "api": digest "sha256:abc" must be sha256:<64 lowercase hex>',
        });
        assert.throws(() => pinWorkloads({ api: { ...PINS.api, repository: "Bad Repo" } }), {
            name: "ReleaseRuleError",
            message: 'invalid reference "Bad Repo": contains whitespace',
        });
    });
});

describe("components/pinWorkloads under mocks (registered as a stack transform)", () => {
    before(() => setMocks("dev"));
    beforeEach(resetRecorded);

    it("a Deployment and a CronJob with repo:1.4.2 images are registered with repo@digest and the annotations", async () => {
        pulumi.runtime.registerResourceTransform(pinWorkloads(PINS));
        const labels = { app: "shop" };
        new k8s.apps.v1.Deployment("api", {
            metadata: { name: "api" },
            spec: {
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        initContainers: [{ name: "migrate", image: `${API}:1.4.2`, args: ["migrate"] }],
                        containers: [
                            { name: "api", image: `${API}:1.4.2`, ports: [{ containerPort: 8080 }] },
                        ],
                    },
                },
            },
        });
        new k8s.batch.v1.CronJob("nightly", {
            metadata: { name: "nightly" },
            spec: {
                schedule: "0 3 * * *",
                jobTemplate: {
                    spec: {
                        template: {
                            spec: {
                                restartPolicy: "Never",
                                containers: [{ name: "worker", image: `${WORKER}:1.4.3` }],
                            },
                        },
                    },
                },
            },
        });
        await settle();
        const [d] = ofType("kubernetes:apps/v1:Deployment");
        assert.deepStrictEqual(d.inputs.metadata, { name: "api", annotations: API_DEPLOYMENT });
        assert.deepStrictEqual(d.inputs.spec.template, {
            metadata: { labels, annotations: API_POD },
            spec: {
                initContainers: [{ name: "migrate", image: `${API}@${D1}`, args: ["migrate"] }],
                containers: [{ name: "api", image: `${API}@${D1}`, ports: [{ containerPort: 8080 }] }],
            },
        });
        const [cj] = ofType("kubernetes:batch/v1:CronJob");
        assert.deepStrictEqual(cj.inputs.metadata, { name: "nightly", annotations: WORKER_POD });
        assert.deepStrictEqual(cj.inputs.spec.jobTemplate.spec.template, {
            metadata: { annotations: WORKER_POD },
            spec: { restartPolicy: "Never", containers: [{ name: "worker", image: `${WORKER}@${D2}` }] },
        });
    });
});
