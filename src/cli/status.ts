import { StackStatus, status } from "../flows";
import { defineCommand } from "./action";
import { atLeastOne, CommonOptions, stackDirs } from "./commonOptions";
import { renderStatus } from "./output";

export interface StatusFlags extends CommonOptions {
    concurrency: number;
    cluster?: true;
}

/** Parallel registry calls: `status --concurrency`, `gc --concurrency`. */
export const parseConcurrency = atLeastOne("--concurrency", "an integer");

/**
 * 1 when any stack's registry lookup failed, or (--cluster) anything runs off its pin or a namespace
 * could not be read: the table is printed in full either way, for a scheduled job.
 */
export function statusExitCode(rows: StackStatus[]): number {
    return rows.some((x) => x.error || x.clusterError || (x.clusterDrift?.length ?? 0) > 0) ? 1 : 0;
}

export const statusCommand = defineCommand<StatusFlags, Awaited<ReturnType<typeof status>>>({
    name: "status",
    description: "every stack's pin, channel tag and drift (--cluster: and what really runs)",
    flags: (cmd) =>
        cmd
            .option("--concurrency <n>", "parallel registry calls (integer >= 1)", parseConcurrency, 16)
            .option(
                "--cluster",
                "also read each stack's namespace (kubectl, the stack's kubeconfig): a workload that runs another image than its pin is drift",
            ),
    run: (o, deps) =>
        status(
            { ...stackDirs(o), concurrency: o.concurrency, ...(o.cluster ? { cluster: true } : {}) },
            deps,
        ),
    render: (r) => renderStatus(r),
    // Exit code 1 when any stack's registry lookup failed, or (--cluster) anything runs off its pin or a
    // namespace could not be read: the table is printed in full either way, for a scheduled job.
    exitCode: (r) => (r.some((x) => x.error || x.clusterError || (x.clusterDrift?.length ?? 0) > 0) ? 1 : 0),
});
