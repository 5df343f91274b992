import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { copiedTags, DEFAULT_PLATFORMS } from "../release";
import { copiedTagProblems, imageCopy, sourceRepositoryProblems } from "./imageCopy";
import { changeCause, deploymentAnnotations, ReleaseMetadata } from "./annotations";
import { deploymentSpec } from "./deploymentSpec";
import { PinnedDeploymentArgs } from "./pinnedDeploymentArgs";
import { ownedKeyProblems, podProblems, podView, specView } from "./podTemplateChecks";
import { selectorProblems } from "./selector";
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

export { PinnedDeploymentArgs };

export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** Spec keys the component sets from its own args, and the arg to set instead. */
const OWNED_SPEC_KEYS: Record<string, string> = {
    template: "container, podSpec and podMetadata",
    replicas: "the replicas arg",
    revisionHistoryLimit: "the revisionHistoryLimit arg",
};

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

/** The scalar args' problems (the pod template's are {@link templateProblems}). */
function scalarProblems(args: PinnedDeploymentArgs): ArgProblem[] {
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

/** What the template checks read of the args: names, image, labels and selector, never env values. */
function templateView(args: PinnedDeploymentArgs) {
    return { pod: podView(args), spec: specView(args.deploymentSpec, Object.keys(OWNED_SPEC_KEYS)) };
}

/** The pod template's problems, from the known part of its view (all of it, once resolved). */
function templateProblems(view: ReturnType<typeof templateView>, name: string): ArgProblem[] {
    const own = { app: name };
    const spec = isPlain(view.spec) ? (view.spec as { selector?: unknown } | undefined) : undefined;
    return [
        ...podProblems(view.pod, name, own),
        ...ownedKeyProblems("deploymentSpec", view.spec, OWNED_SPEC_KEYS),
        ...selectorProblems("deploymentSpec.selector", spec?.selector, view.pod.labels, own),
    ];
}

/**
 * Every problem with the plain (known) args of PinnedDeployment `name`; the constructor runs it on the
 * args as given and again on the resolved values, so an arg that arrives as an Output meets the same
 * rules.
 */
export function pinnedDeploymentProblems(args: PinnedDeploymentArgs, name: string): ArgProblem[] {
    return [...scalarProblems(args), ...templateProblems(templateView(args), name)];
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
            template: templateView(args),
        },
        (a) => [...scalarProblems(a), ...templateProblems(a.template, name)],
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
                    // As given: the checks read only their names, labels and selector, so an env
                    // value stays its own leaf (secret, or unknown in a preview).
                    container: args.container,
                    podSpec: args.podSpec,
                    podMetadata: args.podMetadata,
                    deploymentSpec: args.deploymentSpec,
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
