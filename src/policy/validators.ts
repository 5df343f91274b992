import {
    isDigest,
    PINNED_STACKS,
    redactCredentials,
    workloadImages as podImages,
    workloadOf,
} from "../release";
import { SignedDigestConfig, unsignedWorkloadViolation } from "./signature";
/** Pure policy rules; the CrossGuard pack and the tests both call these. */

export const REQUIRED_OCI_LABELS = [
    "org.opencontainers.image.source",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.version",
];

/**
 * Container images of any workload kind (src/release/workloads.ts), given its (unwrapped) inputs;
 * none for anything else.
 */
export function workloadImages(type: string, props: Record<string, unknown>): string[] {
    const w = workloadOf(type);
    return w === undefined ? [] : podImages(w.kind, props).map((c) => c.image);
}

/** `no-latest-tag`: an image with neither tag nor digest means `latest` too. */
export function latestTagViolation(image: string): string | undefined {
    const at = image.lastIndexOf("@");
    // Pinned only by something digest-shaped after the last "@" (a user:password@ is not a pin).
    if (at >= 0 && /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(image.slice(at + 1))) {
        return undefined;
    }
    const name = at >= 0 ? image.slice(at + 1) : image;
    const lastSegment = name.slice(name.lastIndexOf("/") + 1);
    const colon = lastSegment.lastIndexOf(":");
    const shown = redactCredentials(image);
    if (colon < 0) {
        return `image "${shown}" has no tag or digest (implicitly :latest); pin it by digest`;
    }
    if (lastSegment.slice(colon + 1) === "latest") {
        return `image "${shown}" uses the :latest tag; pin it by digest`;
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
    return `stack ${stack} requires digest-pinned images (repo@sha256:<64 hex>); got "${redactCredentials(image)}"`;
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

/**
 * Every violation for one resource, as the pack reports them; with `only`, just that policy's. A
 * policy reads only the properties it judges: during a preview a workload's spec can be unknown, and
 * @pulumi/policy fails a policy that touches an unknown value, so the label policy never reads one.
 * `config` is signed-digest-required's own pack config (its trusted key ids).
 */
export function resourceViolations(
    r: { type: string; urn: string; props: Record<string, unknown> },
    only?: PolicyName,
    config: SignedDigestConfig = {},
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
    if (wants("signed-digest-required")) {
        const unsigned = unsignedWorkloadViolation(stackOfUrn(r.urn), r, config);
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
