import { Command } from "commander";
import { promote, PromoteOptions } from "../flows";
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

export interface PromoteFlags extends CommonOptions, PinFlags {
    from: string;
    to: string;
}

export function addPromoteFlags(cmd: Command): Command {
    return cmd
        .requiredOption(
            "--from <stack>",
            "stack whose digest is promoted: its pin, else its release record in .image-release/outputs/",
        )
        .requiredOption(
            "--to <stack>",
            "stack whose pin is written; its image-release:promoteFrom names --from",
        );
}

export function validatePromote(o: PromoteFlags): void {
    refuseUsage([...commonProblems(o), ...emptyValues({ "--from": o.from, "--to": o.to })]);
}

export function promoteOptions(o: PromoteFlags): PromoteOptions {
    return { ...stackDirs(o), from: o.from, to: o.to, ...pinOptions(o) };
}

export async function runPromote(o: PromoteFlags, ctx: CommandContext): Promise<number> {
    const r = await promote(promoteOptions(o), ctx.deps);
    emit(ctx.io, o.json === true, r, renderPin(r, o.dryRun === true));
    return 0;
}

export function promoteCommand(program: Command, ctx: CommandContext): void {
    const cmd = program.command("promote").description("pin the source stack's digest in the target stack");
    addCommonFlags(addPinFlags(addPromoteFlags(cmd))).action(action(ctx, validatePromote, runPromote));
}
