import { Command } from "commander";
import { CliDeps } from "../flows";
import { RegistryClient } from "../registry";
import { addCommonFlags, CommonOptions, commonProblems, emptyValues, refuseUsage } from "./commonOptions";
import { CommandContext, emit } from "./context";

/**
 * One command, as kargo's commands are built: its typed flags, a validation that joins every problem of
 * the command line, a run that only delegates to its flow, and how the result prints. Nothing else.
 */
export interface CommandSpec<F extends CommonOptions, R> {
    name: string;
    description: string;
    /** Adds this command's own flags; the common ones (--stacks-dir, --repo-root, --json) come after. */
    flags: (cmd: Command) => Command;
    /** The string flags that must not be given empty (`--from ""`), by flag name. */
    nonEmpty?: (o: F) => Record<string, string | undefined>;
    /** Further usage problems of the flags together. */
    problems?: (o: F) => string[];
    /** The flow call: typed flags in, the flow's result out. */
    run: (o: F, deps: CliDeps, ctx: CommandContext) => Promise<R>;
    render: (r: R, o: F) => string;
    /** The exit code of a run that completed (1 for findings); default 0. */
    exitCode?: (r: R) => number;
}

/** One registry client per command: its deadline is the command's (`--deadline`). */
export function registryDeps(o: CommonOptions): CliDeps {
    return {
        client: new RegistryClient({
            retry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 500 },
            timeoutMs: 5000,
            deadlineMs: o.deadline * 1000,
        }),
    };
}

/** Every problem at once, as one usage refusal (exit code 2), before the flow runs. */
export function validateFlags<F extends CommonOptions, R>(spec: CommandSpec<F, R>, o: F): void {
    refuseUsage([
        ...commonProblems(o),
        ...emptyValues(spec.nonEmpty?.(o) ?? {}),
        ...(spec.problems?.(o) ?? []),
    ]);
}

/** Registers a command: its flags, then an action that validates, runs the flow and prints. */
export function defineCommand<F extends CommonOptions, R>(
    spec: CommandSpec<F, R>,
): (program: Command, ctx: CommandContext) => void {
    return (program, ctx) => {
        const cmd = program.command(spec.name).description(spec.description);
        addCommonFlags(spec.flags(cmd)).action(async (...args: unknown[]) => {
            // Commander hands the positional arguments first, then the options, then the command.
            const positional = args.slice(0, -2) as string[];
            const o = {
                ...(args[args.length - 2] as F),
                ...(positional.length > 0 ? { args: positional } : {}),
            };
            validateFlags(spec, o);
            const r = await spec.run(o, ctx.deps ?? registryDeps(o), ctx);
            emit(ctx.io, o.json === true, r, spec.render(r, o));
            ctx.exitCode = spec.exitCode?.(r) ?? 0;
        });
    };
}
