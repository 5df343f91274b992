import { notes, renderNotes } from "../flows";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";

export interface NotesFlags extends CommonOptions {
    version?: string;
    repository?: string;
}

export const notesCommand = defineCommand<NotesFlags, Awaited<ReturnType<typeof notes>>>({
    name: "notes",
    description: "release notes in Markdown and JSON",
    flags: (cmd) =>
        cmd
            .option("--version <v>", "release version X.Y.Z (default: version.json's, else package.json's)")
            .option(
                "--repository <repo>",
                "repository of the release (default: the one dev's release record names, else the first stack's)",
            ),
    nonEmpty: (o) => ({ "--version": o.version, "--repository": o.repository }),
    run: (o, deps) =>
        notes(
            {
                ...stackDirs(o),
                ...(o.version !== undefined ? { version: o.version } : {}),
                ...(o.repository !== undefined ? { repository: o.repository } : {}),
            },
            deps,
        ),
    render: (r) => renderNotes(r),
});
