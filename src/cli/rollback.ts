import { rollback } from "../flows";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { renderPin } from "./output";
import { addPinFlags, PinFlags, pinOptions } from "./pinOptions";
import { withLayerProgress } from "./progress";

export interface RollbackFlags extends CommonOptions, PinFlags {
    stack: string;
    to?: string;
    image?: string;
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
                    "a digest (sha256:…) or version (X.Y.Z) the stack ran, or how many pins back (default: 1); for a set, how many combinations back",
                )
                .option(
                    "--image <name>",
                    "roll this image of a set back alone (default: the whole set as one unit)",
                ),
        ),
    nonEmpty: (o) => ({ "--stack": o.stack, "--to": o.to, "--image": o.image }),
    // A copy into the stack's repository (another registry) shows its layers as they move.
    run: (o, deps, ctx) =>
        withLayerProgress(ctx, { json: o.json === true }, deps, (progress) =>
            rollback(
                {
                    ...stackDirs(o),
                    stack: o.stack,
                    ...(o.to !== undefined ? { to: o.to } : {}),
                    ...(o.image !== undefined ? { image: o.image } : {}),
                    ...pinOptions(o),
                },
                progress,
            ),
        ),
    render: (r, o) => renderPin(r, o.dryRun === true),
});
