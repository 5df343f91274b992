import { Command } from "commander";
import { verify, VerifyOptions } from "../flows";
import { action } from "./action";
import { addCommonFlags, CommonOptions, commonProblems, refuseUsage, stackDirs } from "./commonOptions";
import { CommandContext, emit } from "./context";
import { renderVerify } from "./output";

export interface VerifyFlags extends CommonOptions {
    version?: string;
}

export function addVerifyFlags(cmd: Command): Command {
    return cmd.option("--version <v>", "check only this version's tags (default: every X.Y.Z tag)");
}

/** `--version` itself is checked by the verify flow (a semver X.Y.Z), which words the refusal. */
export function validateVerify(o: VerifyFlags): void {
    refuseUsage(commonProblems(o));
}

export function verifyOptions(o: VerifyFlags): VerifyOptions {
    return { ...stackDirs(o), ...(o.version !== undefined ? { version: o.version } : {}) };
}

/** Exit code 1 when there is any finding: every finding is printed first. */
export async function runVerify(o: VerifyFlags, ctx: CommandContext): Promise<number> {
    const r = await verify(verifyOptions(o), ctx.deps);
    emit(ctx.io, o.json === true, r, renderVerify(r));
    return r.ok ? 0 : 1;
}

export function verifyCommand(program: Command, ctx: CommandContext): void {
    const cmd = program.command("verify").description("check tags and pins");
    addCommonFlags(addVerifyFlags(cmd)).action(action(ctx, validateVerify, runVerify));
}
