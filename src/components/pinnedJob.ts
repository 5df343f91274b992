import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { JOB_CONTAINER, jobAnnotations, jobBody, jobMetadata, PinnedJobSpec } from "./jobSpec";
import { PinnedContainer, PinnedPodSpec, PodMetadata } from "./podTemplate";
import { ownedKeyProblems, pick, podProblems, podView, shown, specView } from "./podTemplateChecks";
import * as check from "./validate";

export interface PinnedJobArgs {
    /**
     * Repository without tag or digest. Required; no default. Conflicts with a `:tag` or `@digest`
     * suffix (the digest is `digest`).
     * https://github.com/distribution/reference/blob/main/reference.go
     */
    readonly repository: pulumi.Input<string>;
    /**
     * Pinned index digest `sha256:<64 hex>`; part of the Job name. Required; no default. Conflicts with
     * tags and short digests, which are refused.
     * https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
     */
    readonly digest: pulumi.Input<string>;
    /**
     * Commit of the training code; recorded as `image-release/git-sha`. Required; no default. Conflicts
     * with nothing.
     * https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/
     */
    readonly gitSha: pulumi.Input<string>;
    /**
     * Dataset version the run reads; recorded as `image-release/dataset-version` and part of the Job
     * name. Required; no default. Conflicts with an empty string.
     * https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/
     */
    readonly datasetVersion: pulumi.Input<string>;
    /**
     * Container args. Default: the image's entrypoint and cmd, no args. Conflicts with nothing.
     * https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/
     */
    readonly command?: pulumi.Input<string[]>;
    /**
     * Namespace. Default: `default`. Conflicts with anything but an RFC 1123 label (at most 63 lowercase
     * alphanumerics or `-`, alphanumeric at both ends).
     * https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
     */
    readonly namespace?: pulumi.Input<string>;
    /**
     * Retries before the Job fails. Default: 0 (a training run is not silently repeated). Conflicts with
     * negative or fractional values.
     * https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-backoff-failure-policy
     */
    readonly backoffLimit?: pulumi.Input<number>;
    /**
     * The trusted key that verified the digest's signature (`sha256:<16 hex>`), recorded as the Job's
     * `image-release/signed-by` annotation, which the `signed-digest-required` policy reads. Default: none
     * (a prod preview with the policy pack then refuses the Job). Conflicts with nothing.
     * https://docs.sigstore.dev/cosign/verifying/verify/
     */
    readonly signedBy?: pulumi.Input<string>;
    /**
     * The main container's fields besides its image: env, envFrom, resources, volumeMounts,
     * securityContext, command (the entrypoint), name (default: `train`). Default: none. Conflicts with
     * `image`, which is the pin's (always `repository@digest`) and refused, and with `args` when the
     * `command` arg sets them.
     * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Container
     */
    readonly container?: pulumi.Input<PinnedContainer>;
    /**
     * The rest of the pod spec, passed through: volumes, serviceAccountName, nodeSelector, tolerations,
     * imagePullSecrets, initContainers, restartPolicy (default: `Never`); `containers` are sidecars after
     * the main container, with their own images. Default: none. Conflicts with a restartPolicy other
     * than `Never` or `OnFailure`, and with a sidecar or init container named like another container.
     * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#PodSpec
     */
    readonly podSpec?: pulumi.Input<PinnedPodSpec>;
    /**
     * Pod template labels and annotations; the release's `image-release/*` annotations win a conflict.
     * Default: none. Conflicts with nothing.
     * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
     */
    readonly podMetadata?: pulumi.Input<PodMetadata>;
    /**
     * The other Job spec fields: activeDeadlineSeconds, ttlSecondsAfterFinished, completions,
     * parallelism, podFailurePolicy. Default: none. Conflicts with `template` and `backoffLimit` (its
     * own arg). The Job name stays that of digest, code and data, so a changed field replaces the Job.
     * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/job-v1/#JobSpec
     */
    readonly jobSpec?: pulumi.Input<PinnedJobSpec>;
}

/** Spec keys the component sets from its own args, and the arg to set instead. */
const OWNED_SPEC_KEYS: Record<string, string> = {
    template: "container, podSpec and podMetadata",
    backoffLimit: "the backoffLimit arg",
};

/** What the template checks read of the args: names, image, labels and the restart policy. */
function templateView(args: PinnedJobArgs) {
    return {
        pod: podView(args, args.command !== undefined),
        spec: specView(args.jobSpec, Object.keys(OWNED_SPEC_KEYS)),
        hasCommand: pick(args.command, (c) => c !== undefined),
    };
}

/** A Job's pods must not restart forever, and `command` and `container.args` set the same field. */
function jobPodProblems(view: ReturnType<typeof templateView>): check.ArgProblem[] {
    const problems: check.ArgProblem[] = [];
    const pod = check.isPlain(view.pod.podSpec) ? (view.pod.podSpec as { restartPolicy?: unknown }) : {};
    const policy = pod?.restartPolicy;
    if (check.isPlain(policy) && policy !== undefined && policy !== "Never" && policy !== "OnFailure") {
        const reason = `must be "Never" or "OnFailure" for a Job (got "${shown(policy)}")`;
        problems.push({ propertyPath: "podSpec.restartPolicy", reason });
    }
    const container = check.isPlain(view.pod.container) ? (view.pod.container as { hasArgs?: unknown }) : {};
    if (view.hasCommand === true && container?.hasArgs === true) {
        const reason = "conflicts with the command arg, which sets the same container args; set one of them";
        problems.push({ propertyPath: "container.args", reason });
    }
    return problems;
}

function templateProblems(view: ReturnType<typeof templateView>): check.ArgProblem[] {
    return [
        ...podProblems(view.pod, JOB_CONTAINER, {}),
        ...ownedKeyProblems("jobSpec", view.spec, OWNED_SPEC_KEYS),
        ...jobPodProblems(view),
    ];
}

/**
 * Every problem with the plain (known) args; the constructor runs it on the args as given and again
 * on the resolved values, so an arg that arrives as an Output meets the same rules.
 */
export function pinnedJobProblems(args: PinnedJobArgs): check.ArgProblem[] {
    return [...scalarProblems(args), ...templateProblems(templateView(args))];
}

function scalarProblems(args: PinnedJobArgs): check.ArgProblem[] {
    const problems: check.ArgProblem[] = [];
    if (check.isPlain(args.repository))
        problems.push(...check.repositoryProblems("repository", args.repository));
    if (check.isPlain(args.digest)) problems.push(...check.digestProblems("digest", args.digest));
    if (check.isPlain(args.gitSha)) problems.push(...check.requiredStringProblems("gitSha", args.gitSha));
    if (check.isPlain(args.datasetVersion)) {
        problems.push(...check.requiredStringProblems("datasetVersion", args.datasetVersion));
    }
    if (check.isPlain(args.namespace)) problems.push(...check.namespaceProblems("namespace", args.namespace));
    if (check.isPlain(args.backoffLimit))
        problems.push(...check.nonNegativeIntegerProblems("backoffLimit", args.backoffLimit));
    return problems;
}

/** A batch/v1 Job pinned by digest, for reproducible training runs. */
export class PinnedJob extends pulumi.ComponentResource {
    public readonly jobName: pulumi.Output<string>;
    public readonly image: pulumi.Output<string>;
    public readonly digest: pulumi.Output<string>;
    public readonly gitSha: pulumi.Output<string>;
    public readonly datasetVersion: pulumi.Output<string>;
    public readonly job: k8s.batch.v1.Job;

    constructor(name: string, args: PinnedJobArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("image-release:train:PinnedJob", name, {}, opts);
        // Args that are Outputs skip the constructor's check; they get the same rules, and the same single
        // error naming every bad arg, once known and before anything derived from them reaches the engine.
        const checked = check
            .checkedArgs(
                "PinnedJob",
                name,
                {
                    repository: args.repository,
                    digest: args.digest,
                    gitSha: args.gitSha,
                    datasetVersion: args.datasetVersion,
                    command: args.command,
                    namespace: args.namespace,
                    backoffLimit: args.backoffLimit,
                    signedBy: args.signedBy,
                    template: templateView(args),
                },
                (a) => [...scalarProblems(a), ...templateProblems(a.template)],
            )
            .apply((resolved) => ({
                ...resolved,
                namespace: resolved.namespace ?? "default",
                backoffLimit: resolved.backoffLimit ?? 0,
            }));
        const metadata = checked.apply((c) => jobMetadata({ baseName: name, ...c }));
        this.jobName = metadata.name;
        this.image = pulumi.interpolate`${checked.repository}@${checked.digest}`;
        this.digest = checked.digest;
        this.gitSha = checked.gitSha;
        this.datasetVersion = checked.datasetVersion;

        this.job = new k8s.batch.v1.Job(
            `${name}-job`,
            {
                metadata: {
                    name: metadata.name,
                    namespace: checked.namespace,
                    annotations: metadata.annotations,
                },
                // Only what waits for the checked args (image, annotations) is one Output; the user's
                // fields stay as given, so an env value stays its own leaf (secret, or unknown in a preview).
                spec: jobBody({
                    image: this.image,
                    annotations: checked.apply(jobAnnotations),
                    command: check.isPlain(args.command) ? args.command : checked.command,
                    backoffLimit: checked.backoffLimit,
                    container: args.container,
                    podSpec: args.podSpec,
                    podMetadata: args.podMetadata,
                    jobSpec: args.jobSpec,
                }),
            },
            // A Job's pod template is immutable; a new run must be a new Job, not an update.
            { parent: this, deleteBeforeReplace: true },
        );
        this.registerOutputs({
            jobName: this.jobName,
            image: this.image,
            digest: this.digest,
            gitSha: this.gitSha,
            datasetVersion: this.datasetVersion,
        });
    }
}
