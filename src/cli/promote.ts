import { promote } from "../flows";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { renderPin } from "./output";
import { addPinFlags, PinFlags, pinOptions } from "./pinOptions";
import { withLayerProgress } from "./progress";

export interface PromoteFlags extends CommonOptions, PinFlags {
    from: string;
    to: string;
    image?: string;
}

export const promoteCommand = defineCommand<PromoteFlags, Awaited<ReturnType<typeof promote>>>({
    name: "promote",
    description: "pin the source stack's digest in the target stack",
    flags: (cmd) =>
        addPinFlags(
            cmd
                .requiredOption(
                    "--from <stack>",
                    "stack whose digest is promoted: its pin, else its release record in .image-release/outputs/",
                )
                .requiredOption(
                    "--to <stack>",
                    "stack whose pin is written; its image-release:promoteFrom names --from",
                )
                .option(
                    "--image <name>",
                    "move this image of a set alone (default: the whole set as one unit)",
                ),
        ),
    nonEmpty: (o) => ({ "--from": o.from, "--to": o.to, "--image": o.image }),
    // A copy into the stack's repository (another registry) shows its layers as they move.
    run: (o, deps, ctx) =>
        withLayerProgress(ctx, { json: o.json === true }, deps, (progress) =>
            promote(
                {
                    ...stackDirs(o),
                    from: o.from,
                    to: o.to,
                    ...(o.image !== undefined ? { image: o.image } : {}),
                    ...pinOptions(o),
                },
                progress,
            ),
        ),
    render: (r, o) => renderPin(r, o.dryRun === true),
});
