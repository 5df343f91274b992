import { rollback } from "../flows";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { renderPin } from "./output";
import { addPinFlags, PinFlags, pinOptions } from "./pinOptions";

export interface RollbackFlags extends CommonOptions, PinFlags {
    stack: string;
    to?: string;
}

export const rollbackCommand = defineCommand<RollbackFlags, Awaited<ReturnType<typeof rollback>>>({
    name: "rollback",
    description: "pin an earlier digest from the stack's git history",
    flags: (cmd) =>
        addPinFlags(
            cmd
                .requiredOption("--stack <stack>", "stack to roll back")
                .option(
                    "--to <digest|version|steps>",
                    "a digest (sha256:…) or version (X.Y.Z) the stack ran, or how many pins back (default: 1)",
                ),
        ),
    nonEmpty: (o) => ({ "--stack": o.stack, "--to": o.to }),
    run: (o, deps) =>
        rollback(
            {
                ...stackDirs(o),
                stack: o.stack,
                ...(o.to !== undefined ? { to: o.to } : {}),
                ...pinOptions(o),
            },
            deps,
        ),
    render: (r, o) => renderPin(r, o.dryRun === true),
});
