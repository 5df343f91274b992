import { Command } from "commander";
import { history, HistoryOptions } from "../flows";
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
import { renderHistory } from "./output";

export interface HistoryFlags extends CommonOptions {
    stack: string;
}

export function addHistoryFlags(cmd: Command): Command {
    return cmd.requiredOption("--stack <stack>", "stack whose stack file's git history is read");
}

export function validateHistory(o: HistoryFlags): void {
    refuseUsage([...commonProblems(o), ...emptyValues({ "--stack": o.stack })]);
}

export function historyOptions(o: HistoryFlags): HistoryOptions {
    return { ...stackDirs(o), stack: o.stack };
}

export async function runHistory(o: HistoryFlags, ctx: CommandContext): Promise<number> {
    const r = await history(historyOptions(o));
    emit(ctx.io, o.json === true, r, renderHistory(r));
    return 0;
}

export function historyCommand(program: Command, ctx: CommandContext): void {
    const cmd = program.command("history").description("every digest a stack ran, from git");
    addCommonFlags(addHistoryFlags(cmd)).action(action(ctx, validateHistory, runHistory));
}
