import { isDigest, PINNED_STACKS } from "../release";
/** Pure policy rules; the CrossGuard pack and the tests both call these. */

/** Where each workload type keeps its pod spec, given its (unwrapped) inputs. */
const POD_SPEC_PATHS = {
    "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
    "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
    "kubernetes:core/v1:Pod": ["spec"],
    "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
} as const satisfies Record<string, readonly string[]>;

export type WorkloadType = keyof typeof POD_SPEC_PATHS;

export const WORKLOAD_TYPES = Object.keys(POD_SPEC_PATHS) as readonly WorkloadType[];

export const REQUIRED_OCI_LABELS = [
    "org.opencontainers.image.source",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.version",
];

interface PodSpecLike {
    containers?: { image?: string }[];
    initContainers?: { image?: string }[];
}

/** Container images of a Deployment, Job, Pod or CronJob, given its (unwrapped) inputs. */
export function workloadImages(type: string, props: Record<string, unknown>): string[] {
    const path = (POD_SPEC_PATHS as Record<string, readonly string[] | undefined>)[type];
    if (path === undefined) {
        return [];
    }
    let node: unknown = props;
    for (const key of path) {
        node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
    const podSpec = node as PodSpecLike | undefined;
    const containers = [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])];
    return containers.map((c) => c.image).filter((i): i is string => typeof i === "string");
}

/** `no-latest-tag`: an image with neither tag nor digest means `latest` too. */
export function latestTagViolation(image: string): string | undefined {
    if (image.includes("@")) {
        return undefined;
    }
    const lastSegment = image.slice(image.lastIndexOf("/") + 1);
    const colon = lastSegment.lastIndexOf(":");
    if (colon < 0) {
        return `image "${image}" has no tag or digest (implicitly :latest); pin it by digest`;
    }
    if (lastSegment.slice(colon + 1) === "latest") {
        return `image "${image}" uses the :latest tag; pin it by digest`;
    }
    return undefined;
}

/** `digest-pins-required`: staging and prod run only `repo@sha256:<64 hex>`. */
export function digestPinViolation(stack: string, image: string): string | undefined {
    if (!PINNED_STACKS.includes(stack)) {
        return undefined;
    }
    const at = image.lastIndexOf("@");
    if (at >= 0 && isDigest(image.slice(at + 1))) {
        return undefined;
    }
    return `stack ${stack} requires digest-pinned images (repo@sha256:<64 hex>); got "${image}"`;
}

/** `oci-labels-present`: the labels a release needs to be traced back to its source. */
export function missingOciLabels(labels: Record<string, string> | undefined): string | undefined {
    const missing = REQUIRED_OCI_LABELS.filter((l) => !labels || !labels[l]);
    return missing.length === 0 ? undefined : `MultiArchImage is missing OCI label(s) ${missing.join(", ")}`;
}

/** The stack a resource belongs to, from `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function stackOfUrn(urn: string): string {
    return urn.split("::")[0].replace(/^urn:pulumi:/, "");
}

/** Every violation for one resource, as the pack reports them. */
export function resourceViolations(r: { type: string; urn: string; props: Record<string, unknown> }): {
    policy: string;
    message: string;
}[] {
    const out: { policy: string; message: string }[] = [];
    const stack = stackOfUrn(r.urn);
    for (const image of workloadImages(r.type, r.props)) {
        const latest = latestTagViolation(image);
        if (latest) out.push({ policy: "no-latest-tag", message: latest });
        const pin = digestPinViolation(stack, image);
        if (pin) out.push({ policy: "digest-pins-required", message: pin });
    }
    if (isMultiArchImageResource(r.type, r.props)) {
        const labels = missingOciLabels(r.props.labels as Record<string, string> | undefined);
        if (labels) out.push({ policy: "oci-labels-present", message: labels });
    }
    return out;
}

/** The component's dynamic child carries the labels; its type token is the generic dynamic one. */
export function isMultiArchImageResource(type: string, props: Record<string, unknown>): boolean {
    return (
        type === "image-release:image:MultiArchImage" ||
        (type.includes(":dynamic:") && "contextHash" in props)
    );
}
