import { Command } from "commander";
import { rollback, RollbackOptions } from "../flows";
import { action } from "./action";
import {
    addCommonFlags,
    CommonOptions,
    commonProblems,
    emptyValues,
    refuseUsage,
    stackDirs,
} from "./commonOptions";
import { CommandContext, emit } from "./context";
import { renderPin } from "./output";
import { addPinFlags, PinFlags, pinOptions } from "./pinOptions";

export interface RollbackFlags extends CommonOptions, PinFlags {
    stack: string;
    to?: string;
}

export function addRollbackFlags(cmd: Command): Command {
    return cmd
        .requiredOption("--stack <stack>", "stack to roll back")
        .option(
            "--to <digest|version|steps>",
            "a digest (sha256:…) or version (X.Y.Z) the stack ran, or how many pins back (default: 1)",
        );
}

export function validateRollback(o: RollbackFlags): void {
    refuseUsage([...commonProblems(o), ...emptyValues({ "--stack": o.stack, "--to": o.to })]);
}

export function rollbackOptions(o: RollbackFlags): RollbackOptions {
    return { ...stackDirs(o), stack: o.stack, ...(o.to !== undefined ? { to: o.to } : {}), ...pinOptions(o) };
}

export async function runRollback(o: RollbackFlags, ctx: CommandContext): Promise<number> {
    const r = await rollback(rollbackOptions(o), ctx.deps);
    emit(ctx.io, o.json === true, r, renderPin(r, o.dryRun === true));
    return 0;
}

export function rollbackCommand(program: Command, ctx: CommandContext): void {
    const cmd = program.command("rollback").description("pin an earlier digest from the stack's git history");
    addCommonFlags(addPinFlags(addRollbackFlags(cmd))).action(action(ctx, validateRollback, runRollback));
}
