import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podAnnotations, ReleaseMetadata } from "./annotations";
import {
    definedFields,
    mainContainer,
    mapInput,
    podSpecOf,
    podTemplate,
    PodTemplateArgs,
} from "./podTemplate";
import { isPlain } from "./validate";

type DeploymentSpec = k8s.types.input.apps.v1.DeploymentSpec;

/**
 * The Deployment spec fields besides the pod template, `replicas` and `revisionHistoryLimit` (their own
 * args): strategy, minReadySeconds, progressDeadlineSeconds, paused, and a selector, which must select
 * the pod template's labels.
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/#DeploymentSpec
 */
export type PinnedDeploymentSpec = Omit<
    DeploymentSpec,
    "selector" | "template" | "replicas" | "revisionHistoryLimit"
> & {
    readonly selector?: DeploymentSpec["selector"];
    readonly template?: never;
    readonly replicas?: never;
    readonly revisionHistoryLimit?: never;
};

/**
 * Inputs to the pure spec builder. Plain values give a plain spec; an Output stays a leaf of its own,
 * so a preview that does not know the digest yet still knows the selector and every other field.
 */
export interface DeploymentSpecInput extends PodTemplateArgs {
    readonly appName: string;
    readonly image: pulumi.Input<string>;
    readonly release: pulumi.Input<ReleaseMetadata>;
    readonly replicas: pulumi.Input<number>;
    readonly containerPort: pulumi.Input<number>;
    readonly revisionHistoryLimit: pulumi.Input<number>;
    readonly deploymentSpec?: pulumi.Input<PinnedDeploymentSpec>;
}

/**
 * The Deployment `spec`; pure so that tests pin its exact shape. With no container, podSpec,
 * podMetadata or deploymentSpec it is exactly the minimal spec earlier versions wrote. @internal
 */
export function deploymentSpec(i: DeploymentSpecInput): DeploymentSpec {
    const labels = { app: i.appName };
    const main = mainContainer(
        {
            name: i.appName,
            image: i.image,
            imagePullPolicy: "IfNotPresent",
            ports: [{ containerPort: i.containerPort }],
        },
        i.container,
    );
    const own = {
        replicas: i.replicas,
        revisionHistoryLimit: i.revisionHistoryLimit,
        selector: { matchLabels: labels },
        template: podTemplate({
            labels,
            annotations: isPlain(i.release)
                ? podAnnotations(i.release)
                : pulumi.output(i.release).apply(podAnnotations),
            podMetadata: i.podMetadata,
            spec: podSpecOf({}, main, i.podSpec),
        }),
    };
    // The owned keys were refused before this runs; a given selector replaces the default one.
    return mapInput(i.deploymentSpec, (d) =>
        d === undefined ? own : { ...definedFields(d), ...own, selector: d.selector ?? own.selector },
    ) as DeploymentSpec;
}
