import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    PinnedDeployment,
    PinnedJob,
    programError,
    releaseStack,
    ReleaseStack,
    StackImage,
} from "./components";

/** The example app's name: its Deployment and, in a single-image stack file, its image. */
const APP = "hello";

/**
 * The stack's training Job, when `image-release:training` is set: the same verified digest as the
 * Deployment, so a training run and the service it feeds always run the same bytes.
 */
function trainingJob(
    stack: ReleaseStack,
    image: StackImage,
    digest: pulumi.Input<string>,
): Record<string, pulumi.Output<string>> | undefined {
    const training = stack.config.training;
    if (training === undefined) return undefined;
    const job = new PinnedJob(
        `${APP}-train`,
        {
            repository: image.repository,
            digest,
            gitSha: image.gitSha,
            datasetVersion: training.datasetVersion,
            command: training.command,
            namespace: stack.namespace,
            ...(image.signedBy !== undefined ? { signedBy: image.signedBy } : {}),
        },
        stack.workloadOptions,
    );
    return {
        name: job.jobName,
        image: job.image,
        digest: job.digest,
        gitSha: job.gitSha,
        datasetVersion: job.datasetVersion,
    };
}

/** The example server's port: its container port and its Service's. */
const PORT = 8080;

/**
 * With `image-release:service: true` the app serves traffic: a readiness probe on the example server's
 * `/readyz` (which turns 503 while it drains after SIGTERM), and a rolling update that starts the new Pod
 * first and stops an old one only once the new one is ready. Without it the Deployment is exactly what
 * earlier versions made (no probe, the default strategy).
 */
const SERVING = {
    container: {
        readinessProbe: { httpGet: { path: "/readyz", port: PORT }, periodSeconds: 1, failureThreshold: 1 },
    },
    deploymentSpec: {
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    },
};

/**
 * The app's ClusterIP Service, `hello:8080`. Client-IP affinity keeps each client on one Pod while it is
 * ready, so during a rollout (when old and new Pods are ready together for a moment) a client that saw
 * the new release never gets the old one again.
 */
function service(stack: ReleaseStack, deployment: PinnedDeployment): k8s.core.v1.Service {
    return new k8s.core.v1.Service(
        `${APP}-service`,
        {
            metadata: { name: APP, namespace: stack.namespace, labels: { app: APP } },
            spec: {
                type: "ClusterIP",
                selector: { app: APP },
                ports: [{ port: PORT, targetPort: PORT }],
                sessionAffinity: "ClientIP",
            },
        },
        { ...stack.workloadOptions, dependsOn: [deployment] },
    );
}

/**
 * The program every stack of this project runs: the release side (`releaseStack`: config, builds or
 * pinned digests, namespace, the workload transform) and the example app on the stack's first image.
 * Config is validated in full before the first resource, so a bad digest names
 * `stacks/Pulumi.<stack>.yaml` and the key, and nothing is half-applied.
 */
async function configure(): Promise<Record<string, unknown>> {
    // The app's PinnedDeployment copies its digest in itself (its state holds the copy as its child).
    const stack = await releaseStack({ copiedByComponent: (_image, index) => index === 0 });
    const image = Object.values(stack.images)[0];
    const cfg = stack.config;
    const deployment = new PinnedDeployment(
        APP,
        {
            repository: image.repository,
            digest: image.digest,
            version: image.version,
            gitSha: image.gitSha,
            platforms: image.platforms,
            namespace: stack.namespace,
            verifyDigest: cfg.verifyDigest,
            ...(image.promotedFrom !== undefined ? { promotedFrom: image.promotedFrom } : {}),
            ...(image.sourceRepository !== undefined ? { sourceRepository: image.sourceRepository } : {}),
            ...(cfg.verifyDigest && image.verifiedPin ? { verifiedPin: image.verifiedPin } : {}),
            ...(image.signedBy !== undefined ? { signedBy: image.signedBy } : {}),
            ...(cfg.service ? SERVING : {}),
        },
        {
            ...stack.workloadOptions,
            dependsOn: [
                ...((stack.workloadOptions.dependsOn as pulumi.Resource[] | undefined) ?? []),
                ...(image.ready ? [image.ready] : []),
            ],
        },
    );
    if (cfg.service) service(stack, deployment);
    const training = trainingJob(stack, image, deployment.digest);
    return { ...stack.exports([deployment]), ...(training ? { trainingJob: training } : {}) };
}

/**
 * Refusals of the stack's own config (a dirty build context, a pin the registry refuses) are the
 * user's to fix: they reach the engine as a RunError, which prints the message alone, without a
 * Node.js stack trace; anything else with its stack as text (components/engineErrors says why).
 */
async function run(): Promise<Record<string, unknown>> {
    try {
        return await configure();
    } catch (e) {
        throw programError(e);
    }
}

export = run;
