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

export type PolicyName =
    "no-latest-tag" | "digest-pins-required" | "oci-labels-present" | "signed-digest-required";

/** Stacks whose Deployments must run a digest a trusted key signed. */
export const SIGNED_STACKS = ["prod"];
export const SIGNED_BY_ANNOTATION = "image-release/signed-by";

/**
 * `signed-digest-required`: a prod Deployment carries the key that verified its digest's signature
 * (`image-release/signed-by`), which the program sets only after the check passed in the registry.
 */
export function unsignedViolation(stack: string, annotations: unknown): string | undefined {
    if (!SIGNED_STACKS.includes(stack)) return undefined;
    const signedBy =
        typeof annotations === "object" && annotations !== null
            ? (annotations as Record<string, unknown>)[SIGNED_BY_ANNOTATION]
            : undefined;
    if (typeof signedBy === "string" && /^sha256:[0-9a-f]{16}$/.test(signedBy)) return undefined;
    return `stack ${stack} requires a digest signed by a trusted key: the Deployment has no ${SIGNED_BY_ANNOTATION} annotation (set image-release:signingKey; the program verifies the signature before it deploys)`;
}

/**
 * Every violation for one resource, as the pack reports them; with `only`, just that policy's. A
 * policy reads only the properties it judges: during a preview a workload's spec can be unknown, and
 * @pulumi/policy fails a policy that touches an unknown value, so the label policy never reads one.
 */
export function resourceViolations(
    r: { type: string; urn: string; props: Record<string, unknown> },
    only?: PolicyName,
): {
    policy: PolicyName;
    message: string;
}[] {
    const out: { policy: PolicyName; message: string }[] = [];
    const wants = (p: PolicyName) => only === undefined || only === p;
    if (wants("no-latest-tag") || wants("digest-pins-required")) {
        const stack = stackOfUrn(r.urn);
        for (const image of workloadImages(r.type, r.props)) {
            const latest = wants("no-latest-tag") ? latestTagViolation(image) : undefined;
            if (latest) out.push({ policy: "no-latest-tag", message: latest });
            const pin = wants("digest-pins-required") ? digestPinViolation(stack, image) : undefined;
            if (pin) out.push({ policy: "digest-pins-required", message: pin });
        }
    }
    // The stack is checked first: a dev preview's annotations may be unknown, and must not be read.
    if (
        wants("signed-digest-required") &&
        r.type === "kubernetes:apps/v1:Deployment" &&
        SIGNED_STACKS.includes(stackOfUrn(r.urn))
    ) {
        const metadata = r.props.metadata as Record<string, unknown> | undefined;
        const unsigned = unsignedViolation(stackOfUrn(r.urn), metadata?.annotations);
        if (unsigned) out.push({ policy: "signed-digest-required", message: unsigned });
    }
    if (wants("oci-labels-present") && isMultiArchImageResource(r.type, r.props)) {
        const labels = missingOciLabels(r.props.labels as Record<string, string> | undefined);
        if (labels) out.push({ policy: "oci-labels-present", message: labels });
    }
    return out;
}

/**
 * The dynamic child carries the labels; its type token is the generic dynamic one. The component
 * itself registers no inputs with the engine, so it is judged only where it carries labels (mocks).
 */
export function isMultiArchImageResource(type: string, props: Record<string, unknown>): boolean {
    return (
        (type === "image-release:image:MultiArchImage" && "labels" in props) ||
        (type.includes(":dynamic:") && "contextHash" in props)
    );
}
