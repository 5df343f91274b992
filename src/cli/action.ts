import { CommandContext } from "./context";

/**
 * The action of one command, as kargo's commands run: validate the typed flags (every problem at once),
 * then a run that only delegates to its flow and writes the result. The run's number is the exit code.
 */
export function action<F>(
    ctx: CommandContext,
    validate: (flags: F) => void,
    run: (flags: F, ctx: CommandContext) => Promise<number>,
): (flags: F) => Promise<void> {
    return async (flags: F) => {
        validate(flags);
        ctx.exitCode = await run(flags, ctx);
    };
}
