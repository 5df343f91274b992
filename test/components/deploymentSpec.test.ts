import * as assert from "assert";
import { deploymentSpec, DeploymentSpecInput } from "../../src/components/deploymentSpec";

const IMAGE = "127.0.0.1:5000/image-release/hello@sha256:" + "0".repeat(64);
const RELEASE = { version: "1.4.2", digest: "sha256:" + "0".repeat(64), gitSha: "0123abc" };
const POD_ANNOTATIONS = {
    "image-release/version": "1.4.2",
    "image-release/digest": RELEASE.digest,
    "image-release/git-sha": "0123abc",
};
const minimal: DeploymentSpecInput = {
    appName: "web",
    image: IMAGE,
    release: RELEASE,
    replicas: 2,
    containerPort: 8080,
    revisionHistoryLimit: 10,
};
const MAIN = { name: "web", image: IMAGE, imagePullPolicy: "IfNotPresent", ports: [{ containerPort: 8080 }] };
const MINIMAL_SPEC = {
    replicas: 2,
    revisionHistoryLimit: 10,
    selector: { matchLabels: { app: "web" } },
    template: {
        metadata: { labels: { app: "web" }, annotations: POD_ANNOTATIONS },
        spec: { containers: [MAIN] },
    },
};

describe("components/deploymentSpec (pure)", () => {
    const rows: { name: string; extra: Partial<DeploymentSpecInput>; spec: unknown }[] = [
        { name: "minimal: the spec earlier versions wrote", extra: {}, spec: MINIMAL_SPEC },
        {
            name: "container fields join the main container, the pinned image stays",
            extra: { container: { env: [{ name: "A", value: "1" }], imagePullPolicy: undefined } },
            spec: {
                ...MINIMAL_SPEC,
                template: {
                    ...MINIMAL_SPEC.template,
                    spec: { containers: [{ ...MAIN, env: [{ name: "A", value: "1" }] }] },
                },
            },
        },
        {
            name: "pod spec fields pass through; sidecars follow the main container",
            extra: {
                podSpec: {
                    serviceAccountName: "sa",
                    imagePullSecrets: [{ name: "pull" }],
                    containers: [{ name: "log", image: "log:1" }],
                },
            },
            spec: {
                ...MINIMAL_SPEC,
                template: {
                    ...MINIMAL_SPEC.template,
                    spec: {
                        serviceAccountName: "sa",
                        imagePullSecrets: [{ name: "pull" }],
                        containers: [MAIN, { name: "log", image: "log:1" }],
                    },
                },
            },
        },
        {
            name: "pod labels join app; the release's annotations win",
            extra: {
                podMetadata: {
                    labels: { tier: "web" },
                    annotations: { "image-release/version": "x", a: "b" },
                },
            },
            spec: {
                ...MINIMAL_SPEC,
                template: {
                    ...MINIMAL_SPEC.template,
                    metadata: {
                        labels: { tier: "web", app: "web" },
                        annotations: { ...POD_ANNOTATIONS, a: "b" },
                    },
                },
            },
        },
        {
            name: "deployment spec fields pass through; a given selector replaces the default",
            extra: {
                deploymentSpec: {
                    minReadySeconds: 5,
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: { app: "web" }, matchExpressions: [] },
                },
            },
            spec: {
                ...MINIMAL_SPEC,
                minReadySeconds: 5,
                strategy: { type: "Recreate" },
                selector: { matchLabels: { app: "web" }, matchExpressions: [] },
            },
        },
    ];
    for (const r of rows) {
        it(r.name, () => {
            assert.deepStrictEqual(deploymentSpec({ ...minimal, ...r.extra }), r.spec);
        });
    }
});
