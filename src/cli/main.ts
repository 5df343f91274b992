#!/usr/bin/env node
import { Command } from "commander";
import { CliDeps } from "../flows";
import { builderVersion } from "../signing";
import { addCommands } from "./commands";
import { CommandContext, Io } from "./context";
import { errorMessageOf, exitCodeOf } from "./exitCode";
import { terminalIo } from "./terminal";

/** The command tree, wired to `ctx`; exported so tests can walk every command and option. */
export function cliProgram(ctx: CommandContext): Command {
    const program = new Command("image-release")
        .exitOverride()
        .configureOutput({ writeOut: ctx.io.out, writeErr: ctx.io.err })
        .version(builderVersion(), "-V, --version", "print the image-release version")
        // `tags --version 1.2.3` is the subcommand's own flag, not the program's.
        .enablePositionalOptions();
    return addCommands(program, ctx);
}

/** Returns the exit code; never calls process.exit so tests can run it in-process. */
export async function run(argv: string[], terminal: Io, deps?: CliDeps): Promise<number> {
    // Results, progress, help and errors alike: no value from a registry or a record reaches the
    // terminal as a control sequence.
    const io = terminalIo(terminal);
    const ctx: CommandContext = { io, ...(deps ? { deps } : {}), exitCode: 0 };
    try {
        await cliProgram(ctx).parseAsync(argv, { from: "user" });
        return ctx.exitCode;
    } catch (e) {
        const message = errorMessageOf(e);
        if (message !== undefined) io.err(message);
        return exitCodeOf(e);
    }
}

if (require.main === module) {
    void run(process.argv.slice(2), {
        out: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s),
        ...(process.stderr.isTTY
            ? { tty: { write: (s: string) => process.stderr.write(s), columns: process.stderr.columns } }
            : {}),
    }).then((c) => (process.exitCode = c));
}
