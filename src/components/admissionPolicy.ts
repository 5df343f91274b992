import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_FIELDS, parseReference, WORKLOAD_KINDS } from "../release";

/** One pinned image: the policy lets its repository run by digest. */
export interface AdmittedPin {
    readonly repository: string;
}

/** What the namespace's policy admits: the stack's repositories and its third-party ones, by digest. */
export interface AdmissionInput {
    readonly stack: string;
    readonly file: string;
    readonly namespace: string;
    readonly pins: readonly AdmittedPin[];
    readonly allow?: readonly string[];
    /** Digests a trusted verifier key rejected, with one line on why: refused even where pinned. */
    readonly rejected?: readonly { readonly digest: string; readonly summary: string }[];
}

/** A CEL string literal. */
function lit(s: string): string {
    return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A repository as written and as the registry names it (`nginx`, `docker.io/library/nginx`). */
function spellings(repository: string): string[] {
    return [...new Set([repository, parseReference(repository).name])];
}

/** The pod spec of any workload kind, by the one list of kinds (src/release/workloads.ts), of `root`. */
function podSpecExpression(root: "object" | "oldObject" = "object"): string {
    const byPath = new Map<string, string[]>();
    for (const k of WORKLOAD_KINDS) {
        const path = [root, ...k.podSpecPath].join(".");
        byPath.set(path, [...(byPath.get(path) ?? []), k.kind]);
    }
    const paths = [...byPath.entries()].sort((a, b) => a[1].length - b[1].length);
    const [fallback] = paths.pop() as [string, string[]];
    return paths.reduceRight(
        (rest, [path, kinds]) =>
            `(${kinds.map((kind) => `${root}.kind == ${lit(kind)}`).join(" || ")}) ? ${path} : ${rest}`,
        fallback,
    );
}

/** Every container image of the pod spec in `variable`: containers, init and ephemeral containers. */
function imagesOf(variable: string): string {
    return CONTAINER_FIELDS.map(
        (f) => `(has(variables.${variable}.${f}) ? variables.${variable}.${f}.map(c, c.image) : [])`,
    ).join(" + ");
}

const IMAGES = imagesOf("spec");

/** The kinds the policy judges, as API resources. */
function resourceRules() {
    const groups = [...new Set(WORKLOAD_KINDS.flatMap((k) => k.groups))].sort();
    return groups.map((g) => ({
        apiGroups: [g === "core" ? "" : g],
        apiVersions: ["*"],
        operations: ["CREATE", "UPDATE"],
        resources: WORKLOAD_KINDS.filter((k) => k.groups.includes(g)).map((k) => `${k.kind.toLowerCase()}s`),
    }));
}

/**
 * The ValidatingAdmissionPolicy and binding of a pinned stack's namespace: the API server refuses a
 * workload (created or updated by anyone: `kubectl`, Helm, a controller of another tool) with an image
 * that is not a digest of one of the stack's repositories or of its allowed third-party ones. Objects a controller owns
 * (a Deployment's ReplicaSets and Pods) are judged through their owner, as the drift check does. Pure,
 * so tests pin its exact shape. @internal
 */
export function admissionPolicySpecs(i: AdmissionInput) {
    // By digest, of the stack's repositories and its allowed ones: not the one pinned digest, so that a
    // promotion never changes the policy (the API server applies a policy change a moment later, and a
    // Deployment updated in that moment would meet the old one). Another digest than the pin is drift
    // (`status --cluster`); the pin itself is held by the stack's preview and transform.
    const repositories = [...i.pins.map((p) => p.repository), ...(i.allow ?? [])];
    const prefixes = [...new Set(repositories.flatMap(spellings))].sort().map((r) => lit(`${r}@sha256:`));
    const admitted = `[${prefixes.join(", ")}].exists(p, i.startsWith(p))`;
    const name = `image-release-${i.namespace}`;
    const why = `not a digest of a repository stack ${i.stack} pins or allows (${i.file}); deploy it through the stack`;
    const rejected = rejectedValidation(i);
    const policy = {
        metadata: { name },
        spec: {
            failurePolicy: "Fail",
            matchConstraints: { resourceRules: resourceRules() },
            matchConditions: [
                {
                    name: "not-owned",
                    expression:
                        "!has(object.metadata.ownerReferences) || size(object.metadata.ownerReferences) == 0",
                },
                // An object on its way out is not judged again when only its metadata changes (the garbage
                // collector drops its finalizer); a change to its spec still is.
                {
                    name: "not-deleting",
                    expression:
                        "!has(object.metadata.deletionTimestamp) || request.operation != 'UPDATE' || object.spec != oldObject.spec",
                },
            ],
            variables: [
                { name: "spec", expression: podSpecExpression() },
                { name: "images", expression: IMAGES },
                ...(rejected?.variables ?? []),
            ],
            validations: [
                {
                    expression: `variables.images.all(i, ${admitted})`,
                    message: `image-release: a workload image is ${why}`,
                    messageExpression: `'image-release: ' + object.kind + ' ' + (has(object.metadata.name) ? object.metadata.name : '') + ' runs ' + variables.images.filter(i, !(${admitted})).join(', ') + ', ${why}'`,
                    reason: "Forbidden",
                },
                ...(rejected ? [rejected.validation] : []),
            ],
        },
    };
    const binding = {
        metadata: { name },
        spec: {
            policyName: name,
            validationActions: ["Deny"],
            matchResources: {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": i.namespace } },
            },
        },
    };
    return { policy, binding };
}

/**
 * The refusal of a rejected digest, by digest alone (the same bytes are rejected in any repository),
 * with who rejected it and why; nothing when no digest is rejected. Only a request that brings the
 * digest in is refused (a create, or an update whose old object did not run it): an object that already
 * runs it can still be scaled, annotated, rolled back by its stack or deleted (the garbage collector
 * updates it to drop its finalizer).
 */
function rejectedValidation(i: AdmissionInput) {
    if (i.rejected === undefined || i.rejected.length === 0) return undefined;
    const list = i.rejected.map((r) => `{'d': ${lit(r.digest)}, 'why': ${lit(r.summary)}}`).join(", ");
    return {
        variables: [
            { name: "rejected", expression: `[${list}]` },
            { name: "oldSpec", expression: podSpecExpression("oldObject") },
            {
                name: "oldImages",
                expression: `request.operation == 'UPDATE' ? ${imagesOf("oldSpec")} : []`,
            },
            {
                name: "runsRejected",
                expression:
                    "variables.rejected.filter(r, variables.images.exists(i, i.endsWith('@' + r.d)) && !variables.oldImages.exists(i, i.endsWith('@' + r.d)))",
            },
        ],
        validation: {
            expression: "size(variables.runsRejected) == 0",
            message: `image-release: a workload image is a digest a verifier key that stack ${i.stack} trusts rejected`,
            messageExpression: `'image-release: ' + object.kind + ' ' + (has(object.metadata.name) ? object.metadata.name : '') + ' runs a rejected digest: ' + variables.runsRejected.map(r, r.why).join('; ')`,
            reason: "Forbidden",
        },
    };
}

/** Creates the namespace's policy and binding; workloads depend on both, so they change after them. */
export function admissionPolicy(
    i: AdmissionInput,
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource[] {
    const { policy, binding } = admissionPolicySpecs(i);
    const p = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy("admission-policy", policy, opts);
    const b = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
        "admission-policy-binding",
        binding,
        {
            ...opts,
            dependsOn: [p],
        },
    );
    return [p, b];
}
