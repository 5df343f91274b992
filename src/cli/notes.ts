import { Command } from "commander";
import { notes, NotesOptions, renderNotes } from "../flows";
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

export interface NotesFlags extends CommonOptions {
    version?: string;
    repository?: string;
}

export function addNotesFlags(cmd: Command): Command {
    return cmd
        .option("--version <v>", "release version X.Y.Z (default: package.json's version)")
        .option(
            "--repository <repo>",
            "repository of the release (default: the one dev's release record names, else the first stack's)",
        );
}

export function validateNotes(o: NotesFlags): void {
    refuseUsage([
        ...commonProblems(o),
        ...emptyValues({ "--version": o.version, "--repository": o.repository }),
    ]);
}

export function notesOptions(o: NotesFlags): NotesOptions {
    return {
        ...stackDirs(o),
        ...(o.version !== undefined ? { version: o.version } : {}),
        ...(o.repository !== undefined ? { repository: o.repository } : {}),
    };
}

export async function runNotes(o: NotesFlags, ctx: CommandContext): Promise<number> {
    const r = await notes(notesOptions(o), ctx.deps);
    emit(ctx.io, o.json === true, r, renderNotes(r));
    return 0;
}

export function notesCommand(program: Command, ctx: CommandContext): void {
    const cmd = program.command("notes").description("release notes in Markdown and JSON");
    addCommonFlags(addNotesFlags(cmd)).action(action(ctx, validateNotes, runNotes));
}
