import { InvalidArgumentError } from "commander";
import { status } from "../flows";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { renderStatus } from "./output";

export interface StatusFlags extends CommonOptions {
    concurrency: number;
}

/** Digits only: Number() would also take "1.5", "1e3" or "" (as 0), and NaN silently ran nothing. */
export function parseConcurrency(v: string): number {
    if (!/^[0-9]+$/.test(v) || Number(v) < 1) {
        throw new InvalidArgumentError(`--concurrency must be an integer >= 1 (got "${v}")`);
    }
    return Number(v);
}

export const statusCommand = defineCommand<StatusFlags, Awaited<ReturnType<typeof status>>>({
    name: "status",
    description: "every stack's pin, channel tag and drift",
    flags: (cmd) =>
        cmd.option("--concurrency <n>", "parallel registry calls (integer >= 1)", parseConcurrency, 16),
    run: (o, deps) => status({ ...stackDirs(o), concurrency: o.concurrency }, deps),
    render: (r) => renderStatus(r),
    // Exit code 1 when any stack's registry lookup failed: the table is printed in full either way.
    exitCode: (r) => (r.some((x) => x.error) ? 1 : 0),
});
