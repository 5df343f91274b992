import * as pulumi from "@pulumi/pulumi";
import { podAnnotations, ReleaseMetadata } from "./annotations";
import { isPlain } from "./validate";

/**
 * Inputs to the pure spec builder. Plain values give a plain spec; an Output stays a leaf of its own,
 * so a preview that does not know the digest yet still knows the selector and every other field.
 */
export interface DeploymentSpecInput {
    readonly appName: string;
    readonly image: pulumi.Input<string>;
    readonly release: pulumi.Input<ReleaseMetadata>;
    readonly replicas: pulumi.Input<number>;
    readonly containerPort: pulumi.Input<number>;
    readonly revisionHistoryLimit: pulumi.Input<number>;
}

/** The Deployment `spec`; pure so that tests pin its exact shape. @internal */
export function deploymentSpec(i: DeploymentSpecInput) {
    const labels = { app: i.appName };
    return {
        replicas: i.replicas,
        revisionHistoryLimit: i.revisionHistoryLimit,
        selector: { matchLabels: labels },
        template: {
            metadata: {
                labels,
                annotations: isPlain(i.release)
                    ? podAnnotations(i.release)
                    : pulumi.output(i.release).apply(podAnnotations),
            },
            spec: {
                containers: [
                    {
                        name: i.appName,
                        image: i.image,
                        imagePullPolicy: "IfNotPresent",
                        ports: [{ containerPort: i.containerPort }],
                    },
                ],
            },
        },
    };
}
