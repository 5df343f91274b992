import { CliDeps } from "../flows";
import { LayerProgress, layerDoneLine, layerDoneLines, layerLiveLine } from "../release";
import { CommandContext, Io, LiveTerminal } from "./context";
import { terminalText } from "./terminal";

/*
 * How a command shows per-layer byte progress. On a TTY (stderr), a live block of one line per layer
 * in flight, redrawn at most every REDRAW_MS, as `docker push` does; a finished layer leaves its line
 * behind. Off a TTY: no animation, one line per layer once it is done. With --json: one JSON event per
 * finished layer on stderr (stdout holds only the result).
 */

const REDRAW_MS = 200;

export interface ProgressMode {
    json: boolean;
}

/** The onLayer callback for `mode`; `done()` clears what is still drawn. */
export function layerReporter(
    io: Io,
    mode: ProgressMode,
): { onLayer: (e: LayerProgress) => void; done: () => void } {
    if (mode.json) {
        return {
            onLayer: (e) => {
                if (e.done) io.err(`${JSON.stringify({ event: "layer", ...e })}\n`);
            },
            done: () => undefined,
        };
    }
    if (!io.tty) return { onLayer: layerDoneLines(io.err), done: () => undefined };
    return liveReporter(io.tty);
}

/**
 * Runs a command's flow with per-layer progress in its deps (`onLayer`), shown as `mode` says on the
 * command's stderr; what is still drawn is cleared however the flow ends.
 */
export async function withLayerProgress<D extends CliDeps, R>(
    ctx: CommandContext,
    mode: ProgressMode,
    deps: D,
    flow: (deps: D) => Promise<R>,
): Promise<R> {
    const layers = layerReporter(ctx.io, mode);
    try {
        return await flow({ ...deps, onLayer: layers.onLayer });
    } finally {
        layers.done();
    }
}

function liveReporter(tty: LiveTerminal): { onLayer: (e: LayerProgress) => void; done: () => void } {
    const active = new Map<string, { e: LayerProgress; since: number }>();
    let drawn = 0;
    let last = 0;
    const width = Math.max(20, (tty.columns ?? 80) - 1);
    const clear = (): string => (drawn > 0 ? `\x1b[${drawn}F\x1b[J` : "");
    const redraw = (finished: string[]): void => {
        const now = Date.now();
        const lines = [...active.values()].map(({ e, since }) =>
            terminalText(layerLiveLine(e, (now - since) / 1000)).slice(0, width),
        );
        tty.write(
            clear() +
                finished.map((l) => `${terminalText(l)}\n`).join("") +
                lines.map((l) => `${l}\n`).join(""),
        );
        drawn = lines.length;
        last = Date.now();
    };
    return {
        onLayer: (e) => {
            const key = `${e.phase} ${e.platform} ${e.source ?? e.layer}`;
            if (e.done) {
                active.delete(key);
                redraw([`image-release: ${layerDoneLine(e)}`]);
                return;
            }
            active.set(key, { e, since: active.get(key)?.since ?? Date.now() });
            if (Date.now() - last >= REDRAW_MS) redraw([]);
        },
        done: () => {
            if (drawn > 0) tty.write(clear());
            drawn = 0;
            active.clear();
        },
    };
}
