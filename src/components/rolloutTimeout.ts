import * as pulumi from "@pulumi/pulumi";
import { withValueAt, workloadOf } from "../release";

/**
 * The annotation the Kubernetes provider reads for how long a create or update waits for its resource to
 * turn ready (a Deployment's rollout, a Job's completion) before it fails.
 * https://www.pulumi.com/registry/packages/kubernetes/installation-configuration/#timeouts
 */
export const ANNOTATION_TIMEOUT_SECONDS = "pulumi.com/timeoutSeconds";

type Props = Record<string, unknown>;

/**
 * A workload's inputs with `pulumi.com/timeoutSeconds: "<seconds>"` in its own metadata (unless it sets
 * one itself); anything that
 * is not a workload (and a Patch, which the provider does not await) is left as it is (undefined).
 * @internal
 */
export function withRolloutTimeout(type: string, props: Props, seconds: number): Props | undefined {
    const workload = workloadOf(type);
    if (workload === undefined || workload.patch) return undefined;
    const metadata = props.metadata;
    const given =
        typeof metadata === "object" && metadata !== null ? (metadata as Props).annotations : undefined;
    const annotations = typeof given === "object" && given !== null && !Array.isArray(given) ? given : {};
    // A workload that sets its own timeout keeps it: it knows its rollout best.
    return withValueAt(props, ["metadata", "annotations"], {
        [ANNOTATION_TIMEOUT_SECONDS]: String(seconds),
        ...annotations,
    }) as Props;
}

/**
 * A stack transform that gives every workload of the stack (its own, a chart's, plain YAML's) the
 * rollout timeout: `pulumi up` fails after `seconds` when a Deployment never turns ready (an image that
 * exits, never answers its readiness probe, or cannot be pulled), with the provider's reason, instead
 * of waiting out its default of 10 minutes.
 */
export function rolloutTimeout(seconds: number): pulumi.ResourceTransform {
    return (args) => {
        const props = withRolloutTimeout(args.type, args.props, seconds);
        return props === undefined ? undefined : { props, opts: args.opts };
    };
}
