import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    ANNOTATION_DATASET,
    ANNOTATION_DIGEST,
    ANNOTATION_GIT_SHA,
    ANNOTATION_SIGNED_BY,
} from "./annotations";
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
}

export interface JobSpecInput {
    readonly baseName: string;
    readonly repository: string;
    readonly digest: string;
    readonly gitSha: string;
    readonly datasetVersion: string;
    readonly command?: string[];
    readonly backoffLimit: number;
    readonly signedBy?: string;
}

/**
 * Deterministic: the same digest, code and dataset always give the same Job name (no random suffix).
 * The name is `<baseName, first 50 characters>-<first 10 hex characters of
 * sha256("<digest>\n<gitSha>\n<datasetVersion>")>`, at most 61 characters, inside Kubernetes' 63.
 * @internal
 */
export function jobName(i: Pick<JobSpecInput, "baseName" | "digest" | "gitSha" | "datasetVersion">): string {
    const h = createHash("sha256").update(`${i.digest}\n${i.gitSha}\n${i.datasetVersion}`).digest("hex");
    return `${i.baseName.slice(0, 50)}-${h.slice(0, 10)}`;
}

/** @internal */
export function jobAnnotations(
    i: Pick<JobSpecInput, "digest" | "gitSha" | "datasetVersion">,
): Record<string, string> {
    return {
        [ANNOTATION_DIGEST]: i.digest,
        [ANNOTATION_GIT_SHA]: i.gitSha,
        [ANNOTATION_DATASET]: i.datasetVersion,
    };
}

/** The complete Job object; pure, so identical config gives an identical spec. @internal */
export function jobSpec(i: JobSpecInput) {
    const annotations = jobAnnotations(i);
    // On the Job only: the pod template (immutable) and the Job name stay those of digest, code and data.
    const signed: Record<string, string> =
        i.signedBy !== undefined ? { [ANNOTATION_SIGNED_BY]: i.signedBy } : {};
    return {
        metadata: { name: jobName(i), annotations: { ...annotations, ...signed } },
        spec: {
            backoffLimit: i.backoffLimit,
            template: {
                metadata: { annotations },
                spec: {
                    restartPolicy: "Never",
                    containers: [
                        {
                            name: "train",
                            image: `${i.repository}@${i.digest}`,
                            ...(i.command ? { args: i.command } : {}),
                        },
                    ],
                },
            },
        },
    };
}

/**
 * Every problem with the plain (known) args; the constructor runs it on the args as given and again
 * on the resolved values, so an arg that arrives as an Output meets the same rules.
 */
export function pinnedJobProblems(args: PinnedJobArgs): check.ArgProblem[] {
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
                },
                pinnedJobProblems,
            )
            .apply((resolved) => ({
                ...resolved,
                namespace: resolved.namespace ?? "default",
                backoffLimit: resolved.backoffLimit ?? 0,
            }));
        const spec = checked.apply((c) =>
            jobSpec({
                baseName: name,
                repository: c.repository,
                digest: c.digest,
                gitSha: c.gitSha,
                datasetVersion: c.datasetVersion,
                command: c.command,
                backoffLimit: c.backoffLimit,
                ...(c.signedBy !== undefined ? { signedBy: c.signedBy } : {}),
            }),
        );
        this.jobName = spec.metadata.name;
        this.image = pulumi.interpolate`${checked.repository}@${checked.digest}`;
        this.digest = checked.digest;
        this.gitSha = checked.gitSha;
        this.datasetVersion = checked.datasetVersion;

        this.job = new k8s.batch.v1.Job(
            `${name}-job`,
            {
                metadata: {
                    name: spec.metadata.name,
                    namespace: checked.namespace,
                    annotations: spec.metadata.annotations,
                },
                spec: spec.spec,
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
