import { Command, InvalidArgumentError } from "commander";
import { status, StatusOptions } from "../flows";
import { action } from "./action";
import { addCommonFlags, CommonOptions, commonProblems, refuseUsage, stackDirs } from "./commonOptions";
import { CommandContext, emit } from "./context";
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

export function addStatusFlags(cmd: Command): Command {
    return cmd.option("--concurrency <n>", "parallel registry calls (integer >= 1)", parseConcurrency, 16);
}

export function validateStatus(o: StatusFlags): void {
    refuseUsage(commonProblems(o));
}

export function statusOptions(o: StatusFlags): StatusOptions {
    return { ...stackDirs(o), concurrency: o.concurrency };
}

/** Exit code 1 when any stack's registry lookup failed: the table is printed in full either way. */
export async function runStatus(o: StatusFlags, ctx: CommandContext): Promise<number> {
    const r = await status(statusOptions(o), ctx.deps);
    emit(ctx.io, o.json === true, r, renderStatus(r));
    return r.some((x) => x.error) ? 1 : 0;
}

export function statusCommand(program: Command, ctx: CommandContext): void {
    const cmd = program.command("status").description("every stack's pin, channel tag and drift");
    addCommonFlags(addStatusFlags(cmd)).action(action(ctx, validateStatus, runStatus));
}
