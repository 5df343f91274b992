import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { isKnown, isPlain } from "./validate";

type Container = k8s.types.input.core.v1.Container;

/**
 * The main container, minus its image: env, envFrom, probes, resources, volumeMounts, securityContext,
 * command, args, ports, imagePullPolicy and the rest of the Kubernetes Container. `image` belongs to the
 * pin (always `repository@digest`) and is refused; `name` defaults to the component's.
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Container
 */
export type PinnedContainer = Omit<Container, "name" | "image"> & {
    readonly name?: pulumi.Input<string>;
    readonly image?: never;
};

/**
 * The pod spec around the main container: volumes, serviceAccountName, securityContext,
 * imagePullSecrets, initContainers, nodeSelector, tolerations, affinity and the rest of the Kubernetes
 * PodSpec. `containers` are sidecars, run after the main container with their own images (the
 * `pinWorkloads` stack transform pins those that name a pinned repository).
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#PodSpec
 */
export type PinnedPodSpec = Omit<k8s.types.input.core.v1.PodSpec, "containers"> & {
    readonly containers?: pulumi.Input<pulumi.Input<Container>[]>;
};

/** Labels and annotations the pod template carries besides the component's own. */
export type PodMetadata = Pick<k8s.types.input.meta.v1.ObjectMeta, "labels" | "annotations">;

/** The pod-template args PinnedDeployment and PinnedJob share. */
export interface PodTemplateArgs {
    readonly container?: pulumi.Input<PinnedContainer>;
    readonly podSpec?: pulumi.Input<PinnedPodSpec>;
    readonly podMetadata?: pulumi.Input<PodMetadata>;
}

type Fields = Record<string, unknown>;

/**
 * `f` over an Input: at once when it is plain, so Outputs inside it stay leaves of their own (a preview
 * that does not know one env value still knows the rest); once known when the Input itself is an Output.
 * @internal
 */
export function mapInput<T, R>(input: pulumi.Input<T> | undefined, f: (t: T | undefined) => R): unknown {
    return isPlain(input) ? f(input) : pulumi.output(input).apply((v) => pulumi.output(f(v as T)));
}

/** Without the keys whose value is undefined, so an absent user field never clears a default. @internal */
export function definedFields(o: object): Fields {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The main container: the component's fields, the user's over them, and always the pinned image. @internal */
export function mainContainer(
    own: Fields & { image: unknown },
    given: PodTemplateArgs["container"],
): unknown {
    return mapInput(given, (c) =>
        c === undefined ? own : { ...own, ...definedFields(c), image: own.image },
    );
}

/** The pod spec: the component's defaults, the user's fields, then the main container and the sidecars. @internal */
export function podSpecOf(defaults: Fields, main: unknown, given: PodTemplateArgs["podSpec"]): unknown {
    return mapInput(given, (p) => {
        if (p === undefined) return { ...defaults, containers: [main] };
        const { containers, ...rest } = p;
        return {
            ...defaults,
            ...definedFields(rest),
            containers: mapInput(containers, (sidecars) => [main, ...(sidecars ?? [])]),
        };
    });
}

/** The user's annotations with the release's over them: the release's always win. @internal */
export function mergedAnnotations(release: unknown, given: PodMetadata["annotations"]): unknown {
    if (given === undefined) return release;
    if (isKnown(given) && isKnown(release)) return { ...(given as Fields), ...(release as Fields) };
    return pulumi
        .all([pulumi.output(given), pulumi.output(release as pulumi.Input<Fields>)])
        .apply(([g, r]) => ({ ...g, ...r }));
}

/** The user's labels with the component's own over them (a conflicting one is refused beforehand). */
function mergedLabels(own: Record<string, string> | undefined, given: PodMetadata["labels"]): unknown {
    if (given === undefined) return own;
    return mapInput(given, (g) => ({ ...g, ...own }));
}

/** @internal */
export interface PodTemplateInput {
    /** The component's own pod labels (the Deployment's selector), or none (a Job's). */
    readonly labels?: Record<string, string>;
    /** The release's pod annotations. */
    readonly annotations: unknown;
    readonly podMetadata?: PodTemplateArgs["podMetadata"];
    /** The pod spec, from {@link podSpecOf}. */
    readonly spec: unknown;
}

/** The pod template; with no `podMetadata`, exactly the component's labels and the release's annotations. @internal */
export function podTemplate(i: PodTemplateInput): { metadata: unknown; spec: unknown } {
    const metadata = mapInput(i.podMetadata, (m) => {
        const labels = mergedLabels(i.labels, m?.labels);
        return {
            ...(labels !== undefined ? { labels } : {}),
            annotations: mergedAnnotations(i.annotations, m?.annotations),
        };
    });
    return { metadata, spec: i.spec };
}
