import * as pulumi from "@pulumi/pulumi";
import {
    ImagePin,
    indexPins,
    isDigest,
    parseReference,
    PINNED_STACKS,
    PinMode,
    PinnedImages,
    pinImages,
    PullSecretRef,
    registryHostProblem,
    ReleaseRuleError,
    showValue,
    withPullSecret,
    withValueAt,
    WorkloadKind,
    workloadOf,
} from "../release";
import { ANNOTATION_SIGNED_BY, deploymentAnnotations, podAnnotations, ReleaseMetadata } from "./annotations";

export { ImagePin, PinMode, PullSecretRef };

/** Options of {@link pinWorkloads}. */
export interface PinWorkloadsOptions {
    /**
     * The stack's channel. `staging` and `prod` make the transform strict: every workload image must then
     * be a digest, of a pinned repository or of one in `allow`. Default: none (rewrite only).
     */
    readonly channel?: string;
    /**
     * `strict` refuses any workload image that is not a digest (see `channel`); `rewrite` only rewrites
     * images of pinned repositories. Default: `strict` for the `staging` and `prod` channels, else `rewrite`.
     */
    readonly mode?: PinMode;
    /**
     * Repositories outside the pinned set that workloads may run (third-party images such as
     * `docker.io/library/busybox`). It exempts them from set membership only: in strict mode they still
     * need a digest. Default: none.
     */
    readonly allow?: readonly string[];
    /**
     * How a refusal names an image's config key. Default: `image-release:images.<image>.<key>`.
     */
    readonly keyLabel?: (image: string, key: string) => string;
    /**
     * A pull Secret (see `PullSecret`) in the workloads' namespace: every pod spec that runs an image
     * from one of `registries` gets `{name}` in its `imagePullSecrets`, after the entries it already
     * has. Default: none.
     * https://kubernetes.io/docs/concepts/containers/images/#specifying-imagepullsecrets-on-a-pod
     */
    readonly pullSecret?: PullSecretRef;
    /**
     * @internal Images whose digest this update builds (dev): the end-of-program warning names them by
     * repository, since their digest is not known yet.
     */
    readonly building?: readonly string[];
}

/** Kinds whose rollout history `kubectl rollout history` reads from the change-cause annotation. */
const ROLLOUT_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

type Props = Record<string, unknown>;

function annotationsAt(props: unknown, path: readonly string[]): Record<string, unknown> {
    let node = props;
    for (const key of [...path, "metadata", "annotations"]) {
        node = typeof node === "object" && node !== null ? (node as Props)[key] : undefined;
    }
    return typeof node === "object" && node !== null && !Array.isArray(node) ? (node as Props) : {};
}

function withAnnotations(props: unknown, path: readonly string[], added: Record<string, string>): unknown {
    const merged = { ...annotationsAt(props, path), ...added };
    return withValueAt(props, [...path, "metadata", "annotations"], merged);
}

function metadataOf(pin: ImagePin): ReleaseMetadata {
    return {
        version: pin.version,
        digest: pin.digest,
        gitSha: pin.gitSha,
        ...(pin.promotedFrom !== undefined ? { promotedFrom: pin.promotedFrom } : {}),
        ...(pin.signedBy !== undefined ? { signedBy: pin.signedBy } : {}),
    };
}

/** The result of pinning one resource: its new inputs (undefined: unchanged) and the pins it runs. */
export interface PinnedWorkload {
    readonly props: Props | undefined;
    readonly matched: readonly string[];
}

/**
 * Pins one resource's images (see `pinImages` in src/release) and, when an image was rewritten, adds the
 * annotations PinnedDeployment and PinnedJob write: version, digest and git sha on the workload and its
 * pod template, signed-by on the workload, and change-cause on kinds with a rollout history. They
 * describe the first rewritten image of the main containers. With `pullSecret`, a pod spec that runs an
 * image from one of its registries (pinned or not) references the Secret. Anything that is not a
 * workload, and a workload that already runs the pinned digests and needs no pull Secret reference, is
 * left exactly as it is.
 * @internal
 */
export function pinWorkload(
    type: string,
    name: string,
    props: Props,
    pins: Readonly<Record<string, ImagePin>>,
    o: PinWorkloadsOptions = {},
): PinnedWorkload {
    const workload = workloadOf(type);
    if (workload === undefined) return { props: undefined, matched: [] };
    const mode =
        o.mode ?? (o.channel !== undefined && PINNED_STACKS.includes(o.channel) ? "strict" : "rewrite");
    const result = pinImages({ type, name }, workload.kind, props, pins, { ...o, mode });
    const kind = workload.kind;
    let out = result.rewritten.length === 0 ? props : annotated(kind, result, pins);
    const pulled = o.pullSecret === undefined ? undefined : withPullSecret(kind, out, o.pullSecret);
    if (pulled !== undefined) out = pulled as Props;
    return { props: out === props ? undefined : out, matched: result.matched };
}

/** The rewritten workload with the release annotations of its first rewritten image. */
function annotated(
    kind: WorkloadKind,
    result: PinnedImages,
    pins: Readonly<Record<string, ImagePin>>,
): Props {
    const m = metadataOf(pins[result.rewritten[0]]);
    const rollout = ROLLOUT_KINDS.has(kind.kind);
    const own = rollout
        ? deploymentAnnotations(m)
        : { ...podAnnotations(m), ...(m.signedBy ? { [ANNOTATION_SIGNED_BY]: m.signedBy } : {}) };
    // The pod template sits next to the pod spec; a Pod's own metadata is its template.
    const template = kind.podSpecPath.slice(0, -1);
    const out = withAnnotations(result.props, template, podAnnotations(m));
    return withAnnotations(out, [], own) as Props;
}

const endReports: (() => void)[] = [];

/** Runs `report` once the program has nothing left to do: every registration, and so every transform. */
function atProgramEnd(report: () => void): void {
    // The SDK unrefs its callback server for this reason: beforeExit is when no work is outstanding. One
    // listener serves every transform of the process.
    if (endReports.length === 0) {
        process.once("beforeExit", () => {
            for (const r of endReports.splice(0)) r();
        });
    }
    endReports.push(report);
}

/** @internal The transform with its end-of-program hook given, so tests can call it. */
export function pinWorkloadsTransform(
    pins: Readonly<Record<string, ImagePin>>,
    o: PinWorkloadsOptions,
    atEnd: (report: () => void) => void,
): pulumi.ResourceTransform {
    const matched = new Set<string>();
    atEnd(() => {
        const never = Object.keys(pins)
            .sort()
            .filter((n) => !matched.has(n));
        if (never.length === 0) return;
        const built = new Set(o.building ?? []);
        const at = (n: string) =>
            built.has(n)
                ? `${pins[n].repository}, built in this update`
                : `${pins[n].repository}@${pins[n].digest}`;
        const list = never.map((n) => `${n} (${at(n)})`).join(", ");
        void pulumi.log.warn(`pinWorkloads: no workload in the stack runs ${list}; nothing was pinned to it`);
    });
    return (args) => {
        const r = pinWorkload(args.type, args.name, args.props, pins, o);
        for (const n of r.matched) matched.add(n);
        return r.props === undefined ? undefined : { props: r.props, opts: args.opts };
    };
}

/** A pull Secret reference must name the Secret and at least one registry host. */
function pullSecretRefProblems(ref: PullSecretRef | undefined): void {
    if (ref === undefined) return;
    const problems = ref.name === "" ? ['pullSecret.name: is required (got "")'] : [];
    if (ref.registries.length === 0) problems.push("pullSecret.registries: must name a registry (got [])");
    for (const host of ref.registries) {
        const problem = registryHostProblem(host);
        if (problem !== undefined)
            problems.push(`pullSecret.registries: ${problem} (got "${showValue(host)}")`);
    }
    if (problems.length > 0) throw new ReleaseRuleError(`pinWorkloads: ${problems.join("; ")}`);
}

/**
 * A stack transform that pins every Kubernetes workload of the stack to the stack's images: each
 * container, init container and ephemeral container image that names a pinned repository, by tag or
 * bare, becomes `repository@digest`, with the release annotations. Register it before the workloads:
 *
 * ```ts
 * pulumi.runtime.registerResourceTransform(pinWorkloads(images, { channel: "prod" }));
 * new k8s.helm.v4.Chart("api", { chart: "./chart" });   // its Deployment runs the pinned digest
 * ```
 *
 * The engine runs stack transforms on every resource, also on the children that a
 * `kubernetes:helm.sh/v4:Chart` or `kubernetes:yaml/v2:ConfigGroup` registers. In strict mode a
 * workload image that is not a digest stops the preview with a message that names the resource, the
 * container, the image and the key that would pin it. An image of the set that no workload runs is
 * named in a warning when the program ends.
 */
export function pinWorkloads(
    images: Readonly<Record<string, ImagePin>>,
    options: PinWorkloadsOptions = {},
): pulumi.ResourceTransform {
    // Refuse a malformed set now, where the program calls it, not at the first workload.
    const problems = Object.keys(images)
        .sort()
        .filter((n) => !isDigest(images[n].digest))
        .map((n) => `image "${n}": digest "${images[n].digest}" must be sha256:<64 lowercase hex>`);
    if (problems.length > 0) throw new ReleaseRuleError(`pinWorkloads: ${problems.join("; ")}`);
    indexPins(images);
    for (const r of options.allow ?? []) parseReference(r);
    pullSecretRefProblems(options.pullSecret);
    return pinWorkloadsTransform(images, options, atProgramEnd);
}
