import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    ANNOTATION_DATASET,
    ANNOTATION_DIGEST,
    ANNOTATION_GIT_SHA,
    ANNOTATION_SIGNED_BY,
} from "./annotations";
import {
    definedFields,
    mainContainer,
    mapInput,
    podSpecOf,
    podTemplate,
    PodTemplateArgs,
} from "./podTemplate";
import { isPlain } from "./validate";

type JobSpec = k8s.types.input.batch.v1.JobSpec;

/**
 * The Job spec fields besides the pod template and `backoffLimit` (its own arg): activeDeadlineSeconds,
 * ttlSecondsAfterFinished, completions, parallelism, podFailurePolicy and the rest.
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/job-v1/#JobSpec
 */
export type PinnedJobSpec = Omit<JobSpec, "template" | "backoffLimit"> & {
    readonly template?: never;
    readonly backoffLimit?: never;
};

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

/** The main container's name unless `container.name` says otherwise. */
export const JOB_CONTAINER = "train";

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

/** Inputs of the Job spec builder: the release's part, and the user's pod template and spec fields. @internal */
export interface JobBodyInput extends PodTemplateArgs {
    readonly image: pulumi.Input<string>;
    readonly annotations: pulumi.Input<Record<string, string>>;
    readonly command?: pulumi.Input<string[] | undefined>;
    readonly backoffLimit: pulumi.Input<number>;
    readonly jobSpec?: pulumi.Input<PinnedJobSpec>;
}

/**
 * The Job `spec`. Plain inputs give a plain spec; an Output stays a leaf of its own. With no container,
 * podSpec, podMetadata or jobSpec it is exactly the minimal spec earlier versions wrote. @internal
 */
export function jobBody(i: JobBodyInput): JobSpec {
    // The container args: `command` when plain and set, or its Output (which may resolve to none).
    const args = isPlain(i.command) ? (i.command ? { args: i.command } : {}) : { args: i.command };
    const main = mainContainer({ name: JOB_CONTAINER, image: i.image, ...args }, i.container);
    const own = {
        backoffLimit: i.backoffLimit,
        template: podTemplate({
            annotations: i.annotations,
            podMetadata: i.podMetadata,
            spec: podSpecOf({ restartPolicy: "Never" }, main, i.podSpec),
        }),
    };
    // The owned keys were refused before this runs.
    return mapInput(i.jobSpec, (j) => (j === undefined ? own : { ...definedFields(j), ...own })) as JobSpec;
}

/** The Job's own metadata: its name and the release annotations, with signed-by. @internal */
export function jobMetadata(i: Omit<JobSpecInput, "repository" | "command" | "backoffLimit">) {
    // On the Job only: the pod template (immutable) and the Job name stay those of digest, code and data.
    const signed: Record<string, string> =
        i.signedBy !== undefined ? { [ANNOTATION_SIGNED_BY]: i.signedBy } : {};
    return { name: jobName(i), annotations: { ...jobAnnotations(i), ...signed } };
}

/** The complete Job object for plain, minimal inputs; pure, so identical config gives an identical spec. @internal */
export function jobSpec(i: JobSpecInput) {
    return {
        metadata: jobMetadata(i),
        spec: jobBody({
            image: `${i.repository}@${i.digest}`,
            annotations: jobAnnotations(i),
            command: i.command,
            backoffLimit: i.backoffLimit,
        }),
    };
}
