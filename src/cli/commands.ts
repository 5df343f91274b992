import { Command } from "commander";
import { checkCommand } from "./check";
import { CommandContext } from "./context";
import { deployCommand } from "./deploy";
import { gcCommand } from "./gc";
import { historyCommand } from "./history";
import { notesCommand } from "./notes";
import { promoteCommand } from "./promote";
import { rejectCommand } from "./reject";
import { releaseCommand } from "./release";
import { rollbackCommand } from "./rollback";
import { statusCommand } from "./status";
import { tagsCommand } from "./tags";
import { verifyCommand } from "./verify";

/** Every command, in the order `--help` lists them. */
export function addCommands(program: Command, ctx: CommandContext): Command {
    for (const add of [
        tagsCommand,
        releaseCommand,
        promoteCommand,
        rollbackCommand,
        statusCommand,
        checkCommand,
        deployCommand,
        rejectCommand,
        historyCommand,
        notesCommand,
        verifyCommand,
        gcCommand,
    ]) {
        add(program, ctx);
    }
    return program;
}
