import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ClusterPin, DEFAULT_PULL_SECRET_NAME } from "../release";
import { JobCheck, StackImageConfig } from "../stackconfig";
import { CHECK_JOB_LABEL, clusterSelection, KubectlFn } from "./clusterState";
import { Refusal } from "./refusal";

/** The smoke-test Job's name: the check and the digest, so each pin gets its own run. */
export function jobName(c: JobCheck, digest: string): string {
    return `check-${c.name}-${digest.slice(7, 19)}`.slice(0, 63).replace(/-+$/, "");
}

/** The pin a job check runs: its image's, or the stack's first by name. */
export function jobPin(s: StackImageConfig, c: JobCheck, pins: ClusterPin[]): ClusterPin {
    const pin = c.image === undefined ? pins[0] : pins.find((p) => p.image === c.image);
    if (pin === undefined) {
        throw new Refusal(
            `${s.file}: image-release:checks.job "${c.name}": the stack has no image "${c.image}" (images: ${pins.map((p) => p.image).join(", ")})`,
        );
    }
    return pin;
}

/** The Job: the pinned digest with the check's args, never retried, gone an hour after it finished. */
export function jobManifest(s: StackImageConfig, c: JobCheck, pin: ClusterPin): Record<string, unknown> {
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
            name: jobName(c, pin.digest),
            namespace: s.namespace,
            labels: { "app.kubernetes.io/managed-by": "image-release-check", [CHECK_JOB_LABEL]: c.name },
        },
        spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: c.timeoutSeconds,
            ttlSecondsAfterFinished: 3600,
            template: {
                metadata: { labels: { [CHECK_JOB_LABEL]: c.name } },
                spec: {
                    restartPolicy: "Never",
                    containers: [{ name: c.name, image: `${pin.repository}@${pin.digest}`, args: c.args }],
                    ...(s.pullCredentials !== undefined
                        ? { imagePullSecrets: [{ name: DEFAULT_PULL_SECRET_NAME }] }
                        : {}),
                },
            },
        },
    };
}

/** Starts the check's Job afresh (an earlier run of the same check and digest is deleted first). */
export async function startJob(
    s: StackImageConfig,
    c: JobCheck,
    pin: ClusterPin,
    kubectl: KubectlFn,
): Promise<string> {
    const name = jobName(c, pin.digest);
    const sel = clusterSelection(s);
    await kubectl([
        "delete",
        "job",
        name,
        "--namespace",
        s.namespace,
        "--ignore-not-found",
        "--wait=true",
        ...sel,
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-job-"));
    const file = path.join(dir, "job.json");
    try {
        fs.writeFileSync(file, JSON.stringify(jobManifest(s, c, pin)));
        await kubectl(["create", "--filename", file, ...sel]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    return name;
}

interface JobView {
    status?: {
        succeeded?: number;
        failed?: number;
        conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
    };
}

/**
 * What is wrong with the Job now: nothing once it succeeded; its failure (reason and message) once it
 * failed; else that it has not finished. A failed Job fails at once, without waiting for the timeout.
 */
export async function jobProblems(
    s: StackImageConfig,
    name: string,
    kubectl: KubectlFn,
): Promise<{ problems: string[]; final: boolean }> {
    const out = await kubectl([
        "get",
        "job",
        name,
        "--namespace",
        s.namespace,
        "--output",
        "json",
        ...clusterSelection(s),
    ]);
    const job = JSON.parse(out) as JobView;
    if ((job.status?.succeeded ?? 0) > 0) return { problems: [], final: true };
    const failed = job.status?.conditions?.find((x) => x.type === "Failed" && x.status === "True");
    if (failed !== undefined || (job.status?.failed ?? 0) > 0) {
        const why = failed
            ? `${failed.reason ?? "Failed"}: ${failed.message ?? ""}`.trim()
            : "its Pod failed";
        return { problems: [`Job/${name} failed (${why})`], final: true };
    }
    return { problems: [`Job/${name} has not succeeded yet`], final: false };
}
