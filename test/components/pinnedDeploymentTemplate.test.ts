import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    assertRejects,
    ofType,
    promiseOf,
    resetRecorded,
    setMocks,
    settle,
    unknownOutput,
} from "../helpers/mocks";
import { itRefusesArgs, RefusalRow } from "../helpers/refusals";
import type {
    PinnedDeployment as PinnedDeploymentT,
    PinnedDeploymentArgs,
} from "../../src/components/pinnedDeployment";
import type { PinnedContainer, PodMetadata } from "../../src/components/podTemplate";

const REPO = "127.0.0.1:5000/image-release/hello";
const D = "sha256:" + "0123456789abcdef".repeat(4);
const IMAGE = `${REPO}@${D}`;
const RELEASE = {
    "image-release/version": "1.4.2",
    "image-release/digest": D,
    "image-release/git-sha": "0123abc",
};

const base: PinnedDeploymentArgs = {
    repository: REPO,
    digest: D,
    version: "1.4.2",
    gitSha: "0123abc",
    verifyDigest: false,
};

/** A real service's pod: env, probes, resources, mounts, a sidecar, an init container, a pull secret. */
const full: Partial<PinnedDeploymentArgs> = {
    container: {
        env: [{ name: "LOG_LEVEL", value: "debug" }],
        ports: [{ name: "http", containerPort: 9000 }],
        readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5 },
        livenessProbe: { tcpSocket: { port: 9000 } },
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
        volumeMounts: [{ name: "cache", mountPath: "/cache" }],
        securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true },
        args: ["--serve"],
    },
    podSpec: {
        serviceAccountName: "web",
        imagePullSecrets: [{ name: "pull-5001" }],
        securityContext: { runAsUser: 1000 },
        volumes: [{ name: "cache", emptyDir: {} }],
        nodeSelector: { "kubernetes.io/os": "linux" },
        initContainers: [{ name: "migrate", image: `${REPO}-migrate@${D}` }],
        containers: [{ name: "log", image: "127.0.0.1:5000/tools/log@" + D }],
    },
    podMetadata: {
        labels: { tier: "web" },
        // The release's own key wins over a user's.
        annotations: { "prometheus.io/scrape": "true", "image-release/digest": "mine" },
    },
    deploymentSpec: {
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0 } },
        minReadySeconds: 5,
        selector: { matchLabels: { app: "web", tier: "web" } },
    },
};

const fullSpec = {
    replicas: 1,
    revisionHistoryLimit: 10,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0 } },
    minReadySeconds: 5,
    selector: { matchLabels: { app: "web", tier: "web" } },
    template: {
        metadata: {
            labels: { tier: "web", app: "web" },
            annotations: { "prometheus.io/scrape": "true", ...RELEASE },
        },
        spec: {
            serviceAccountName: "web",
            imagePullSecrets: [{ name: "pull-5001" }],
            securityContext: { runAsUser: 1000 },
            volumes: [{ name: "cache", emptyDir: {} }],
            nodeSelector: { "kubernetes.io/os": "linux" },
            initContainers: [{ name: "migrate", image: `${REPO}-migrate@${D}` }],
            containers: [
                {
                    name: "web",
                    image: IMAGE,
                    imagePullPolicy: "IfNotPresent",
                    ports: [{ name: "http", containerPort: 9000 }],
                    env: [{ name: "LOG_LEVEL", value: "debug" }],
                    readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5 },
                    livenessProbe: { tcpSocket: { port: 9000 } },
                    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                    volumeMounts: [{ name: "cache", mountPath: "/cache" }],
                    securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true },
                    args: ["--serve"],
                },
                { name: "log", image: "127.0.0.1:5000/tools/log@" + D },
            ],
        },
    },
};

/** The same args, with every pod-template arg (or one leaf inside each) given as an Output. */
const lifted = (a: Partial<PinnedDeploymentArgs>) =>
    Object.fromEntries(
        Object.entries(a).map(([k, v]) => [k, pulumi.output(v)]),
    ) as Partial<PinnedDeploymentArgs>;

describe("components/PinnedDeployment: the full pod template", () => {
    let PinnedDeployment: typeof PinnedDeploymentT;
    before(async () => {
        await setMocks("staging");
        ({ PinnedDeployment } = await import("../../src/components/pinnedDeployment"));
    });
    beforeEach(resetRecorded);

    const passes: { name: string; args: Partial<PinnedDeploymentArgs> }[] = [
        { name: "as plain values", args: full },
        { name: "each arg an Output", args: lifted(full) },
        {
            name: "an env value and a label as Outputs",
            args: {
                ...full,
                container: {
                    ...(full.container as PinnedContainer),
                    env: [{ name: "LOG_LEVEL", value: pulumi.output("debug") }],
                },
                podMetadata: { ...(full.podMetadata as PodMetadata), labels: { tier: pulumi.output("web") } },
            },
        },
    ];
    for (const p of passes) {
        it(`passes every field through exactly, with the pinned image: ${p.name}`, async () => {
            const c = new PinnedDeployment("web", { ...base, ...p.args, service: true, containerPort: 9000 });
            assert.strictEqual(await promiseOf(c.image), IMAGE);
            await settle();
            const [dep] = ofType("kubernetes:apps/v1:Deployment");
            assert.deepStrictEqual(dep.inputs.spec, fullSpec);
            assert.deepStrictEqual(dep.inputs.metadata.labels, { app: "web" });
            const [svc] = ofType("kubernetes:core/v1:Service");
            assert.deepStrictEqual(svc.inputs.spec.selector, { app: "web" });
        });
    }

    it("empty pod-template args leave the minimal Deployment exactly as it was", async () => {
        new PinnedDeployment("hello", base);
        await settle();
        const minimal = JSON.stringify(ofType("kubernetes:apps/v1:Deployment")[0].inputs);
        resetRecorded();
        new PinnedDeployment("hello", {
            ...base,
            container: {},
            podSpec: {},
            podMetadata: {},
            deploymentSpec: {},
        });
        await settle();
        assert.strictEqual(JSON.stringify(ofType("kubernetes:apps/v1:Deployment")[0].inputs), minimal);
    });

    it("container.name renames the main container; imagePullPolicy and ports override the defaults", async () => {
        new PinnedDeployment("web", {
            ...base,
            container: { name: "app", imagePullPolicy: "Always", ports: [{ containerPort: 80 }] },
        });
        await settle();
        assert.deepStrictEqual(
            ofType("kubernetes:apps/v1:Deployment")[0].inputs.spec.template.spec.containers,
            [{ name: "app", image: IMAGE, imagePullPolicy: "Always", ports: [{ containerPort: 80 }] }],
        );
    });

    it("a secret env value makes neither the image nor the digest secret", async () => {
        for (const container of [
            { env: [{ name: "TOKEN", value: pulumi.secret("s3cret") }] },
            pulumi.secret({ env: [{ name: "TOKEN", value: "s3cret" }] }),
        ]) {
            const c = new PinnedDeployment("web", { ...base, container });
            assert.strictEqual(await pulumi.isSecret(c.image), false);
            assert.strictEqual(await pulumi.isSecret(c.digest), false);
            assert.strictEqual(await promiseOf(c.image), IMAGE);
        }
    });

    const header = 'invalid arguments for PinnedDeployment "x":\n  ';
    const sidecar = (name: string) => ({ name, image: `${REPO}@${D}` });
    const bad: RefusalRow<PinnedDeploymentArgs>[] = [
        {
            name: "an image on the main container",
            args: { container: { image: "nginx:1.25" } as never },
            message:
                header +
                'container.image: must be left unset: the pin sets the main container\'s image to repository@digest (got "nginx:1.25")',
        },
        {
            name: "a sidecar named like the main container",
            args: { podSpec: { containers: [sidecar("x")] } },
            message:
                header +
                'podSpec.containers[0].name: is the main container\'s name; give the sidecar another (got "x")',
        },
        {
            name: "an init container named like the renamed main container",
            args: { container: { name: "app" }, podSpec: { initContainers: [sidecar("app")] } },
            message:
                header +
                'podSpec.initContainers[0].name: is the main container\'s name; give the init container another (got "app")',
        },
        {
            name: "an init container named like a sidecar, and a sidecar without a name",
            args: {
                podSpec: { containers: [sidecar("log"), sidecar("")], initContainers: [sidecar("log")] },
            },
            message:
                header +
                "podSpec.containers[1].name: is required\n" +
                '  podSpec.initContainers[0].name: is also podSpec.containers[0]\'s (got "log")',
        },
        {
            name: "an app label other than the component's",
            args: { podMetadata: { labels: { app: "web" } } },
            message:
                header +
                'podMetadata.labels.app: must be "x", the label the component selects its pods by (got "web")',
        },
        {
            name: "a selector the pod labels do not match",
            args: { deploymentSpec: { selector: { matchLabels: { tier: "api" } } } },
            message:
                header +
                'deploymentSpec.selector: does not select the pod template\'s labels {"app":"x"} (got {"matchLabels":{"tier":"api"}})',
        },
        {
            name: "a selector expression the user's labels fail",
            args: {
                podMetadata: { labels: { tier: "api" } },
                deploymentSpec: {
                    selector: { matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }] },
                },
            },
            message:
                header +
                'deploymentSpec.selector: does not select the pod template\'s labels {"tier":"api","app":"x"} (got {"matchExpressions":[{"key":"tier","operator":"In","values":["web"]}]})',
        },
        {
            name: "an empty selector",
            args: { deploymentSpec: { selector: {} } },
            message:
                header +
                'deploymentSpec.selector: does not select the pod template\'s labels {"app":"x"} (got {})',
        },
        {
            name: "the spec keys the component owns",
            args: { deploymentSpec: { replicas: 3, template: {}, revisionHistoryLimit: 1 } as never },
            message:
                header +
                "deploymentSpec.template: is the component's; set container, podSpec and podMetadata instead\n" +
                "  deploymentSpec.replicas: is the component's; set the replicas arg instead\n" +
                "  deploymentSpec.revisionHistoryLimit: is the component's; set the revisionHistoryLimit arg instead",
        },
        {
            name: "a bad digest, an image and an app label, all at once",
            args: {
                digest: "latest",
                container: { image: "nginx" } as never,
                podMetadata: { labels: { app: "y" } },
            },
            message:
                header +
                'digest: must be a sha256 digest, not a tag (got "latest")\n' +
                '  container.image: must be left unset: the pin sets the main container\'s image to repository@digest (got "nginx")\n' +
                '  podMetadata.labels.app: must be "x", the label the component selects its pods by (got "y")',
        },
    ];
    itRefusesArgs<PinnedDeploymentArgs>({
        componentType: "image-release:deploy:PinnedDeployment",
        rows: bad,
        make: (args) => new PinnedDeployment("x", { ...base, service: true, ...args }),
        outputOf: (c) => (c as InstanceType<typeof PinnedDeployment>).image,
    });

    it("an image given as an Output inside a plain container is refused once known, quoted", async () => {
        const c = new PinnedDeployment("x", {
            ...base,
            container: { image: pulumi.output("nginx:1.25") } as never,
        });
        await assertRejects(
            c.image,
            header +
                'container.image: must be left unset: the pin sets the main container\'s image to repository@digest (got "nginx:1.25")',
            ["metadata", "spec", "outputs"],
        );
        assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
    });
});

describe("components/PinnedDeployment: the pod template in a preview", () => {
    let PinnedDeployment: typeof PinnedDeploymentT;
    before(async () => {
        await setMocks("staging", true);
        ({ PinnedDeployment } = await import("../../src/components/pinnedDeployment"));
    });
    beforeEach(resetRecorded);

    it("an unknown env value and args stay unknown leaves: image, selector and labels are known", async () => {
        new PinnedDeployment("web", {
            ...base,
            container: { env: [{ name: "DB_HOST", value: unknownOutput() }], args: unknownOutput() },
            podMetadata: { labels: { tier: "web" } },
        });
        await settle();
        const spec = ofType("kubernetes:apps/v1:Deployment")[0].inputs.spec;
        assert.deepStrictEqual(spec.selector, { matchLabels: { app: "web" } });
        assert.deepStrictEqual(spec.template.metadata.labels, { tier: "web", app: "web" });
        const [{ env, args, ...main }] = spec.template.spec.containers;
        assert.strictEqual(pulumi.isUnknown(args), true);
        assert.deepStrictEqual(main, {
            name: "web",
            image: IMAGE,
            imagePullPolicy: "IfNotPresent",
            ports: [{ containerPort: 8080 }],
        });
        assert.strictEqual(env[0].name, "DB_HOST");
        assert.strictEqual(pulumi.isUnknown(env[0].value), true);
    });
});
