import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { VerifiedPin } from "../flows";
import { copiedTags, DEFAULT_PLATFORMS } from "../release";
import { RegistryClient } from "../registry";
import { copiedTagProblems, imageCopy, sourceRepositoryProblems } from "./imageCopy";
import { changeCause, deploymentAnnotations, ReleaseMetadata } from "./annotations";
import { deploymentSpec } from "./deploymentSpec";
import { platformDigestsOf, verifyPin } from "./pinVerification";
import {
    ArgProblem,
    checkedArgs,
    digestProblems,
    isPlain,
    namespaceProblems,
    nonNegativeIntegerProblems,
    platformProblems,
    portProblems,
    repositoryProblems,
    requiredStringProblems,
} from "./validate";

export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** A plain arg (already checked) with its default, or else the checked Output. */
function plainOr<T>(
    arg: pulumi.Input<T> | undefined,
    fallback: T,
    checked: pulumi.Output<T>,
): pulumi.Input<T> {
    return isPlain(arg) ? (arg ?? fallback) : checked;
}

/** The Deployment fields an arg may leave out, and what they default to. */
const SPEC_DEFAULTS = {
    namespace: "default",
    replicas: 1,
    containerPort: 8080,
    revisionHistoryLimit: DEFAULT_REVISION_HISTORY_LIMIT,
};

export interface PinnedDeploymentArgs {
    /**
     * Repository without tag or digest, e.g. `127.0.0.1:5000/image-release/hello`. Required; no default.
     * Conflicts with a `:tag` or `@digest` suffix (the image is always `repository@digest`).
     * https://github.com/distribution/reference/blob/main/reference.go
     */
    readonly repository: pulumi.Input<string>;
    /**
     * The pinned index digest, `sha256:<64 hex>`. Required; no default. Conflicts with tags and short
     * digests, which are refused.
     * https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
     */
    readonly digest: pulumi.Input<string>;
    /**
     * The release version, e.g. `1.4.2`; part of `kubernetes.io/change-cause`, so it shows in
     * `kubectl rollout history`. Required; no default. Conflicts with nothing.
     * https://kubernetes.io/docs/reference/labels-annotations-taints/#change-cause
     */
    readonly version: pulumi.Input<string>;
    /**
     * The source commit of the image; recorded as `image-release/git-sha`. Required; no default.
     * Conflicts with nothing.
     * https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/
     */
    readonly gitSha: pulumi.Input<string>;
    /**
     * The stack this digest was promoted from; appended to `kubernetes.io/change-cause` as
     * `(promoted from <stack>)`. Default: none (the stack built the digest). Conflicts with nothing.
     * https://kubernetes.io/docs/reference/labels-annotations-taints/#change-cause
     */
    readonly promotedFrom?: pulumi.Input<string>;
    /**
     * Platforms the digest must cover, checked when `verifyDigest` is on. Default:
     * `["linux/amd64","linux/arm64"]`. Conflicts with an empty list.
     * https://github.com/opencontainers/image-spec/blob/main/image-index.md#image-index-property-descriptions
     */
    readonly platforms?: pulumi.Input<string[]>;
    /**
     * Kubernetes namespace. Default: `default`. Conflicts with anything but an RFC 1123 label (at most
     * 63 lowercase alphanumerics or `-`, alphanumeric at both ends).
     * https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
     */
    readonly namespace?: pulumi.Input<string>;
    /**
     * Replica count. Default: 1. Conflicts with negative or fractional values.
     * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#replicas
     */
    readonly replicas?: pulumi.Input<number>;
    /**
     * Container port; also the Service port when `service` is true. Default: 8080. Conflicts with values
     * outside the integers 1-65535.
     * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports
     */
    readonly containerPort?: pulumi.Input<number>;
    /**
     * Create a ClusterIP Service in front of the pods. Default: false. Conflicts with nothing.
     * https://kubernetes.io/docs/concepts/services-networking/service/
     */
    readonly service?: boolean;
    /**
     * ReplicaSets kept for `kubectl rollout undo`. Default: 10. Conflicts with negative or fractional values.
     * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#revision-history-limit
     */
    readonly revisionHistoryLimit?: pulumi.Input<number>;
    /**
     * Check the digest exists and covers `platforms` before anything is created (also during
     * preview). Default: true. Set false for air-gapped previews; `registryClient` is then unused.
     * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#checking-if-content-exists-in-the-registry
     */
    readonly verifyDigest?: pulumi.Input<boolean>;
    /**
     * Registry client used for verification. Default: `new RegistryClient(VERIFY_CLIENT_OPTIONS)`, which
     * authenticates from the docker config. Not an Input: it is used by the program, never sent to the
     * engine. Conflicts with `verifyDigest: false`, which skips it.
     * https://docs.docker.com/reference/cli/docker/login/#credential-stores
     */
    readonly registryClient?: Pick<RegistryClient, "verify">;
    /**
     * The repository the digest is copied from when `repository` does not hold it yet (another
     * registry, or another path on the same one). `pulumi up` copies it by digest (blob mount on the
     * same registry, a streamed copy across registries) with its X.Y.Z and `git-` tags before the
     * Deployment changes; a preview verifies it here until then. Default: none (the digest is already
     * in `repository`). Conflicts with `repository` itself. Credentials come from the docker config.
     * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#mounting-a-blob-from-another-repository
     */
    readonly sourceRepository?: pulumi.Input<string>;
    /**
     * The trusted key that verified the digest's signature (`sha256:<16 hex>`, from
     * `requiredSignature`); recorded as the Deployment's `image-release/signed-by` annotation, which the
     * policy pack's `signed-digest-required` looks for in prod. Default: none (no signature was
     * required). Conflicts with nothing.
     * https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md
     */
    readonly signedBy?: pulumi.Input<string>;
    /**
     * The pin check's answer for this digest (`checkPin`, which the program runs once before any
     * resource, with the stack's signature rule): the component takes its platform digests from it
     * instead of asking the registry again. Not an Input: it stays in the program, never sent to the
     * engine. Default: none (the component checks the digest itself when `verifyDigest` is on).
     * Conflicts with `verifyDigest: false`, which ignores it, and with a pin of another digest, which is
     * refused; makes `registryClient` unused.
     * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
     */
    readonly verifiedPin?: VerifiedPin;
}

/**
 * Every problem with the plain (known) args; the constructor runs it on the args as given and again
 * on the resolved values, so an arg that arrives as an Output meets the same rules.
 */
export function pinnedDeploymentProblems(args: PinnedDeploymentArgs): ArgProblem[] {
    const problems: ArgProblem[] = [];
    if (isPlain(args.repository)) problems.push(...repositoryProblems("repository", args.repository));
    if (isPlain(args.digest)) problems.push(...digestProblems("digest", args.digest));
    if (isPlain(args.version)) problems.push(...requiredStringProblems("version", args.version));
    if (isPlain(args.gitSha)) problems.push(...requiredStringProblems("gitSha", args.gitSha));
    if (isPlain(args.platforms)) problems.push(...platformProblems("platforms", args.platforms));
    if (isPlain(args.sourceRepository) && isPlain(args.repository))
        problems.push(...sourceRepositoryProblems(args.sourceRepository, args.repository));
    // A copy carries the release's X.Y.Z and git-<7> tags, so the version and sha must make them.
    if (args.sourceRepository !== undefined && isPlain(args.version) && isPlain(args.gitSha))
        problems.push(...copiedTagProblems(args.version, args.gitSha));
    if (isPlain(args.namespace)) problems.push(...namespaceProblems("namespace", args.namespace));
    if (isPlain(args.replicas)) problems.push(...nonNegativeIntegerProblems("replicas", args.replicas));
    if (isPlain(args.containerPort)) problems.push(...portProblems("containerPort", args.containerPort));
    if (isPlain(args.revisionHistoryLimit)) {
        problems.push(...nonNegativeIntegerProblems("revisionHistoryLimit", args.revisionHistoryLimit));
    }
    return problems;
}

/** The args every child derives from: checked (now if plain, once known if Outputs) and defaulted. */
function checkedDeploymentArgs(name: string, args: PinnedDeploymentArgs) {
    // Args that are Outputs skip the constructor's check; they get the same rules, and the same single
    // error naming every bad arg, once known and before anything derived from them reaches the engine.
    return checkedArgs(
        "PinnedDeployment",
        name,
        {
            repository: args.repository,
            digest: args.digest,
            version: args.version,
            gitSha: args.gitSha,
            promotedFrom: args.promotedFrom,
            platforms: args.platforms,
            namespace: args.namespace,
            replicas: args.replicas,
            containerPort: args.containerPort,
            revisionHistoryLimit: args.revisionHistoryLimit,
            verifyDigest: args.verifyDigest,
            sourceRepository: args.sourceRepository,
            signedBy: args.signedBy,
        },
        pinnedDeploymentProblems,
    ).apply((resolved) => ({
        ...resolved,
        platforms: resolved.platforms ?? [...DEFAULT_PLATFORMS],
        namespace: resolved.namespace ?? SPEC_DEFAULTS.namespace,
        replicas: resolved.replicas ?? SPEC_DEFAULTS.replicas,
        containerPort: resolved.containerPort ?? SPEC_DEFAULTS.containerPort,
        revisionHistoryLimit: resolved.revisionHistoryLimit ?? SPEC_DEFAULTS.revisionHistoryLimit,
    }));
}

type CheckedDeploymentArgs = ReturnType<typeof checkedDeploymentArgs>;

/** What the annotations and the change-cause say about the release. */
function releaseMetadata(c: pulumi.Unwrap<CheckedDeploymentArgs>): ReleaseMetadata {
    return {
        version: c.version,
        digest: c.digest,
        gitSha: c.gitSha,
        promotedFrom: c.promotedFrom,
        ...(c.signedBy ? { signedBy: c.signedBy } : {}),
    };
}

/**
 * A Deployment (and optional Service) whose container image is always `repository@sha256:…`.
 * The image input is derived from the registry verification, so a failed verification rejects the
 * Deployment's inputs and the engine never registers, previews as clean, or applies it.
 */
export class PinnedDeployment extends pulumi.ComponentResource {
    /** `repository@digest`, resolved only after verification succeeded. */
    public readonly image: pulumi.Output<string>;
    /** The pinned digest, resolved only after verification succeeded and the Deployment was applied. */
    public readonly digest: pulumi.Output<string>;
    /** Platform -> manifest digest as the registry reported it; `{}` when verification is off. */
    public readonly platformDigests: pulumi.Output<Record<string, string>>;
    public readonly changeCause: pulumi.Output<string>;
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service?: k8s.core.v1.Service;
    /** The copy of the digest into `repository`, when `sourceRepository` is set. */
    public readonly copy?: pulumi.CustomResource;

    constructor(name: string, args: PinnedDeploymentArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("image-release:deploy:PinnedDeployment", name, {}, opts);
        const checked = checkedDeploymentArgs(name, args);
        const verified = this.verified(name, args, checked);
        this.image = verified.ref;
        this.platformDigests = verified.platformDigests;
        const release = checked.apply(releaseMetadata);
        this.changeCause = release.apply(changeCause);

        // The bytes reach `repository` before the Deployment points at them there.
        this.copy = imageCopy(
            name,
            args.sourceRepository,
            checked,
            { tags: checked.apply((c) => copiedTags(c.version, c.gitSha)) },
            this,
        );
        this.deployment = this.deploymentOf(name, args, checked, release);

        // Carries the Deployment as a dependency: whatever consumes the digest (a ChannelTag) is held
        // until the Deployment was applied, and never registered if verification or the apply failed.
        this.digest = pulumi.all([verified, checked.digest, this.deployment.urn]).apply(([, d]) => d);

        if (args.service === true) {
            this.service = this.serviceOf(name, args, checked);
        }

        this.registerOutputs({
            image: this.image,
            digest: this.digest,
            platformDigests: this.platformDigests,
            changeCause: this.changeCause,
        });
    }

    /**
     * `repository@digest` and its platform digests, once the registry check passed (or at once when
     * `verifyDigest` is off). During a preview an unbuilt digest is unknown, so the check waits for
     * `up`; a digest known from config is checked in the preview itself.
     */
    private verified(name: string, args: PinnedDeploymentArgs, checked: CheckedDeploymentArgs) {
        const given = { pin: args.verifiedPin, client: args.registryClient };
        return checked.apply(async (c) => {
            const ref = `${c.repository}@${c.digest}`;
            if (c.verifyDigest === false) {
                return { ref, platformDigests: {} };
            }
            const pin = await verifyPin(c, given, name, this);
            return { ref, platformDigests: platformDigestsOf(pin.description) };
        });
    }

    private deploymentOf(
        name: string,
        args: PinnedDeploymentArgs,
        checked: CheckedDeploymentArgs,
        release: pulumi.Output<ReleaseMetadata>,
    ): k8s.apps.v1.Deployment {
        // A plain arg was checked above and stays plain (with its default): `checked` waits for every
        // arg, the digest too, and a preview that cannot see the namespace or the selector plans the
        // Deployment as a replacement instead of an update.
        const namespace = plainOr(args.namespace, SPEC_DEFAULTS.namespace, checked.namespace);
        return new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: {
                    name,
                    namespace,
                    labels: { app: name },
                    annotations: release.apply(deploymentAnnotations),
                },
                // Only what waits for the digest (image, pod annotations) is unknown in a preview.
                spec: deploymentSpec({
                    appName: name,
                    image: this.image,
                    release,
                    replicas: plainOr(args.replicas, SPEC_DEFAULTS.replicas, checked.replicas),
                    containerPort: plainOr(
                        args.containerPort,
                        SPEC_DEFAULTS.containerPort,
                        checked.containerPort,
                    ),
                    revisionHistoryLimit: plainOr(
                        args.revisionHistoryLimit,
                        SPEC_DEFAULTS.revisionHistoryLimit,
                        checked.revisionHistoryLimit,
                    ),
                }),
            },
            { parent: this, ...(this.copy ? { dependsOn: [this.copy] } : {}) },
        );
    }

    private serviceOf(
        name: string,
        args: PinnedDeploymentArgs,
        checked: CheckedDeploymentArgs,
    ): k8s.core.v1.Service {
        const namespace = plainOr(args.namespace, SPEC_DEFAULTS.namespace, checked.namespace);
        const containerPort = plainOr(args.containerPort, SPEC_DEFAULTS.containerPort, checked.containerPort);
        return new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name, namespace, labels: { app: name } },
                spec: {
                    type: "ClusterIP",
                    selector: { app: name },
                    ports: [{ port: containerPort, targetPort: containerPort }],
                },
            },
            { parent: this, dependsOn: [this.deployment] },
        );
    }
}
