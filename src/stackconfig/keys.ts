import { DEFAULT_PLATFORMS, PINNED_STACKS } from "../release";
import { checks } from "./checks";
import { imageSetReader } from "./images";
import { SIGNED_BY_DEFAULT, VERIFIED_BY_DEFAULT } from "./model";
import { pullCredentials } from "./pullCredentials";
import * as read from "./readers";
import { KeyRow } from "./rows";
import { Scope } from "./scope";

/** A copy source only means something beside a digest, and never names the stack's own repository. */
function sourceRepositoryRules(scope: Scope): void {
    const sourceRepository = scope.values.sourceRepository;
    if (sourceRepository === undefined) return;
    if (scope.get("digest") === undefined) {
        scope.bad(
            "sourceRepository",
            `only meaningful with ${scope.label("digest")} (it says where the pin is copied from)`,
            sourceRepository,
        );
    } else if (sourceRepository === scope.values.repository) {
        scope.bad(
            "sourceRepository",
            `is ${scope.label("repository")} itself; remove it (nothing to copy)`,
            sourceRepository,
        );
    }
}

/**
 * Pinned stacks deploy digests and never build; in dev each image builds unless it is pinned. Read per
 * image: the stack itself in a single-image file, each member of `image-release:images` in a set.
 */
function buildRules(image: Scope): void {
    const rawBuild = image.get("build");
    const why = "(it deploys a pinned digest, never builds)";
    if (PINNED_STACKS.includes(image.stack)) {
        if (image.get("digest") === undefined) {
            image.bad("digest", `required in stack "${image.stack}" ${why}`, "");
        }
        if (rawBuild !== undefined)
            image.bad("build", `not allowed in stack "${image.stack}" ${why}`, rawBuild);
    } else if (image.stack === "dev" && rawBuild === undefined && image.get("digest") === undefined) {
        image.bad("build", `stack "dev" needs ${image.label("build")} or ${image.label("digest")}`, "");
    }
}

/**
 * Every `image-release:` key, in the order they are checked (so problems come out in that order).
 * Validation, the set form's members, the pin edits' key order and the history reader all derive
 * from this one table.
 */
export const KEY_TABLE = [
    {
        key: "repository",
        help: "the image repository the stack deploys from, without tag or digest",
        read: read.repository,
        required: true,
        image: "own",
        order: 5,
    },
    {
        key: "sourceRepository",
        help: "where the pinned digest is copied from into the repository before it is deployed",
        read: read.repository,
        image: "own",
        order: 6,
        pin: "remove",
        relate: sourceRepositoryRules,
    },
    {
        key: "digest",
        help: "the pinned OCI index digest, sha256:<64 hex>",
        read: read.digest,
        image: "own",
        order: 1,
        pin: "set",
    },
    {
        key: "platforms",
        help: "every platform the image must hold, os/arch[/variant]",
        read: read.platforms,
        default: () => [...DEFAULT_PLATFORMS],
        image: "inherited",
    },
    {
        key: "version",
        help: "the pinned digest's release version (semver)",
        read: read.version,
        image: "own",
        order: 2,
        pin: "keep",
        deploy: "required",
    },
    { key: "channel", help: "the floating tag this stack moves (dev, staging, prod)", read: read.channel },
    {
        key: "gitSha",
        help: "the commit the pinned digest was built from, 7-40 hex",
        read: read.gitSha,
        image: "own",
        order: 3,
        pin: "keep",
        deploy: "required",
    },
    {
        key: "build",
        help: "dev only: the build context and Dockerfile (per image in a set)",
        read: read.build,
        image: "own",
        relate: buildRules,
    },
    {
        key: "verifyDigest",
        help: "check the digest in the registry during preview",
        read: read.boolean,
        default: () => true,
    },
    {
        key: "namespace",
        help: "the Kubernetes namespace the stack deploys into",
        read: read.namespace,
        default: () => "default",
    },
    {
        key: "createNamespace",
        help: "false: the namespace already exists, so the stack does not create it (default: it does)",
        // Present only when off, like requireSignature only when on: a stack file without it keeps its config.
        read: (raw, scope, key) => (read.boolean(raw, scope, key) === false ? false : undefined),
    },
    {
        key: "admissionPolicy",
        help: "false: no ValidatingAdmissionPolicy that refuses workloads off the pins in a staging/prod namespace (default: one)",
        // Present only when off, as createNamespace: a stack file without it keeps its config.
        read: (raw, scope, key) => (read.boolean(raw, scope, key) === false ? false : undefined),
    },
    { key: "promoteFrom", help: "the only stack promotions into this one come from", read: read.stackName },
    {
        key: "promotedFrom",
        help: "the stack the pinned digest was promoted from",
        read: read.stackName,
        image: "own",
        order: 4,
        pin: "remove",
    },
    { key: "kubeconfig", help: "an explicit kubeconfig path", read: read.nonEmptyString },
    { key: "kubeContext", help: "an explicit kubeconfig context", read: read.nonEmptyString },
    { key: "source", help: "org.opencontainers.image.source for builds (an http(s) URL)", read: read.source },
    {
        key: "training",
        help: "a training Job on the pinned digest: datasetVersion, command",
        read: read.training,
    },
    {
        key: "signingKey",
        help: "trusted public key path(s); a list during a key rotation",
        read: read.signingKeys,
        field: "signingKeys",
    },
    {
        key: "requireSignature",
        help: "refuse a digest no trusted key signed (default: on for prod)",
        read: (raw, scope, key) => (read.boolean(raw, scope, key) ? true : undefined),
        default: (stack) => (SIGNED_BY_DEFAULT.includes(stack) ? true : undefined),
    },
    {
        key: "verifierKeys",
        help: "trusted verifier public key path(s): whose signed check evidence and rejections this stack believes",
        read: read.signingKeys,
    },
    {
        key: "requireVerification",
        help: "refuse a promoted digest without soaked, passing check evidence from promoteFrom (default: on for prod)",
        read: (raw, scope, key) => (read.boolean(raw, scope, key) ? true : undefined),
        default: (stack) => (VERIFIED_BY_DEFAULT.includes(stack) ? true : undefined),
    },
    {
        key: "allowImages",
        help: "third-party repositories workloads may run besides the pinned set (still by digest in staging/prod)",
        read: read.allowImages,
    },
    {
        key: "pullCredentials",
        help: "registry host -> {username, password (a secret)}: the pull Secret the stack's workloads reference",
        read: pullCredentials,
    },
    {
        key: "checks",
        help: "what `image-release check` runs after pulumi up: rollout (timeoutSeconds, maxRestarts), http checks",
        read: checks,
    },
    {
        key: "service",
        help: "true: the app gets a ClusterIP Service, a readiness probe on /readyz and a rollout that never drops a ready replica",
        // Present only when on, like requireSignature: a stack file without it deploys what it did before.
        read: (raw, scope, key) => (read.boolean(raw, scope, key) ? true : undefined),
    },
    {
        key: "rolloutTimeoutSeconds",
        help: "seconds `pulumi up` waits for each workload to turn ready before it fails (pulumi.com/timeoutSeconds)",
        read: read.positiveInteger,
    },
    {
        key: "builders",
        help: "platform -> BuildKit address (tcp://host:port or unix:///path) that builds it in a release; the rest build on the local engine",
        read: read.builders,
    },
    {
        key: "images",
        help: "a named set of images, each with the keys marked per-image (name -> map)",
        read: imageSetReader(() => IMAGE_ROWS),
    },
] as const satisfies readonly KeyRow[];

type Row = (typeof KEY_TABLE)[number];

/** A field of a pin: what promote and rollback write for one image. */
export type PinField = Extract<Row, { pin: string }>["key"];

/** The keys an image of the set holds (table order). */
export const IMAGE_ROWS: readonly KeyRow[] = KEY_TABLE.filter((r: KeyRow) => r.image !== undefined);

function byOrder(rows: readonly KeyRow[]): KeyRow[] {
    return [...rows].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
}

/** The pin's fields in the order a stack file keeps them; an edit inserts a missing one after its predecessor. */
export const PIN_FIELDS = byOrder(KEY_TABLE.filter((r: KeyRow) => r.pin !== undefined)).map(
    (r) => r.key as PinField,
);

/** What history reads of each image, in the order it lists them: the pin, then where its bytes live. */
export const HISTORY_FIELDS: readonly string[] = byOrder(
    IMAGE_ROWS.filter((r) => r.image === "own" && r.order !== undefined),
).map((r) => r.key);

export function rowOf(key: string): KeyRow | undefined {
    return (KEY_TABLE as readonly KeyRow[]).find((r) => r.key === key);
}
