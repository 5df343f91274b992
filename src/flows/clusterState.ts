import { execFile } from "child_process";
import { ClusterDrift, clusterDrift, ClusterPin } from "../release";
import { StackImageConfig } from "../stackconfig";
import { Refusal } from "./refusal";

/** Runs kubectl with `args` and returns its stdout; refuses with kubectl's own error line. */
export type KubectlFn = (args: string[]) => Promise<string>;

/** The kinds `status --cluster` reads: every kind that runs containers (src/release/workloads.ts). */
const KINDS = "deployments,statefulsets,daemonsets,replicasets,replicationcontrollers,jobs,cronjobs,pods";

/** How long the cluster may take to list a namespace before `status --cluster` gives up on it. */
const TIMEOUT_MS = 60_000;

/** The default KubectlFn: the kubectl on PATH, with the user's environment (KUBECONFIG, context). */
export const kubectlCli: KubectlFn = (args) =>
    new Promise((resolve, reject) => {
        execFile(
            "kubectl",
            args,
            { env: process.env, timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
            (err, stdout, stderr) => {
                if (!err) return resolve(stdout);
                const said =
                    (err as NodeJS.ErrnoException).code === "ENOENT"
                        ? "kubectl is not on PATH"
                        : err.killed
                          ? `no answer in ${TIMEOUT_MS / 1000}s`
                          : stderr.trim().split("\n").pop() || err.message;
                reject(new Refusal(`\`kubectl ${args.join(" ")}\` failed: ${said}`));
            },
        );
    });

/** The kubectl flags that select the cluster a stack's config names (none: the environment's). */
export function clusterSelection(s: StackImageConfig): string[] {
    return [
        ...(s.kubeconfig !== undefined
            ? ["--kubeconfig", s.kubeconfig.replace(/^~(?=\/)/, process.env.HOME ?? "~")]
            : []),
        ...(s.kubeContext !== undefined ? ["--context", s.kubeContext] : []),
    ];
}

/** The kubectl arguments that list a stack's workloads, on the cluster its config names. */
export function clusterArgs(s: StackImageConfig): string[] {
    return ["get", KINDS, "--namespace", s.namespace, "--output", "json", ...clusterSelection(s)];
}

/** The label `check` puts on its smoke-test Jobs and their Pods (./jobCheck). */
export const CHECK_JOB_LABEL = "image-release/check";

/** Whether an object is one of `check`'s own smoke-test Jobs or their Pods: not a workload of the stack. */
function isCheckJob(o: unknown): boolean {
    const labels = (o as { metadata?: { labels?: Record<string, unknown> } }).metadata?.labels;
    return typeof labels === "object" && labels !== null && CHECK_JOB_LABEL in labels;
}

/**
 * Every object of the kinds that run containers in the stack's namespace, less `check`'s own
 * smoke-test Jobs: a finished one of an earlier pin stays an hour, and is neither drift nor a rollout.
 */
export async function clusterObjects(s: StackImageConfig, kubectl: KubectlFn): Promise<unknown[]> {
    const args = clusterArgs(s);
    const out = await kubectl(args);
    let items: unknown;
    try {
        items = (JSON.parse(out) as { items?: unknown }).items;
    } catch {
        throw new Refusal(`\`kubectl ${args.join(" ")}\` printed no JSON (got "${out.trim().slice(0, 80)}")`);
    }
    return Array.isArray(items) ? (items as unknown[]).filter((o) => !isCheckJob(o)) : [];
}

/** What runs in the stack's namespace against its pins: each container that runs a pin's repository otherwise. */
export async function stackClusterDrift(
    s: StackImageConfig,
    pins: ClusterPin[],
    kubectl: KubectlFn,
): Promise<ClusterDrift[]> {
    return clusterDrift(await clusterObjects(s, kubectl), pins);
}
