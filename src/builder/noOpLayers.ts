import * as path from "path";
import { Header, LayerBlob, writeLayer } from "./archive";

/*
 * A step that changes no file (`RUN ["/server", "--check"]`) makes an empty layer in BuildKit, but the
 * local engine's overlay differ may still list a directory the step's container touched: `etc/`,
 * where the runtime mounts hosts and resolv.conf. Applied, such a layer changes nothing (after
 * normalisation the directory's mode, owner and time are those it already has), so a layer made only
 * of directories that the layers below already hold, exactly so, is written as the empty layer. Then
 * the same step gives the same layer on either builder.
 */

/** What a layer holds that decides whether it is a no-op: its directories, removals and other paths. */
export interface LayerShape {
    /** Each directory entry: its path and its normalised header's mode, owner and PAX records. */
    dirs: Map<string, string>;
    /** Paths this layer removes (whiteouts), and directories it makes opaque (`dir/`). */
    removed: string[];
    /** Paths of every entry that is not a directory (files, links, whiteouts). */
    others: Set<string>;
}

const entryPath = (name: string): string =>
    path.posix
        .normalize(name)
        .replace(/^(\.\/)+/, "")
        .replace(/\/+$/, "");

/** Collects a LayerShape from the normalised headers, as normalizeTar passes them. */
export function shapeCollector(): {
    shape: LayerShape;
    onEntry: (h: Partial<Header> & { name: string }) => void;
} {
    const shape: LayerShape = { dirs: new Map(), removed: [], others: new Set() };
    const onEntry = (h: Partial<Header> & { name: string }) => {
        const p = entryPath(h.name);
        if (h.type === "directory") {
            shape.dirs.set(p, JSON.stringify([h.mode, h.uid, h.gid, h.pax ?? null]));
            return;
        }
        shape.others.add(p);
        const base = path.posix.basename(p);
        if (base === ".wh..wh..opq") shape.removed.push(`${path.posix.dirname(p)}/`);
        else if (base.startsWith(".wh."))
            shape.removed.push(path.posix.join(path.posix.dirname(p), base.slice(4)));
    };
    return { shape, onEntry };
}

/** Forgets what `removed` takes away from the directories below: a path and all under it, or a dir's contents. */
function remove(below: Map<string, string>, removed: string): void {
    for (const p of [...below.keys()]) {
        const gone = removed.endsWith("/")
            ? p.startsWith(removed)
            : p === removed || p.startsWith(`${removed}/`);
        if (gone) below.delete(p);
    }
}

function isNoOp(shape: LayerShape, below: Map<string, string>): boolean {
    if (shape.others.size > 0 || shape.dirs.size === 0) return false;
    return [...shape.dirs].every(([p, sig]) => below.get(p) === sig);
}

/**
 * The layers in order, each no-op directory layer replaced by the empty layer (written once, under
 * `dir`). `shapes[i]` is undefined for a layer whose shape is unknown: it is kept as it is.
 */
export async function withoutNoOpLayers(
    layers: LayerBlob[],
    shapes: (LayerShape | undefined)[],
    epochSeconds: number,
    dir: string,
): Promise<LayerBlob[]> {
    const below = new Map<string, string>();
    let empty: LayerBlob | undefined;
    const out: LayerBlob[] = [];
    for (let i = 0; i < layers.length; i++) {
        const shape = shapes[i];
        if (shape === undefined) {
            // Unknown contents: nothing below may be vouched for any more.
            below.clear();
            out.push(layers[i]);
            continue;
        }
        for (const r of shape.removed) remove(below, r);
        // A file where a directory was replaces it (and all under it); most files meet no directory.
        for (const p of shape.others) if (below.has(p)) remove(below, p);
        if (isNoOp(shape, below)) {
            // Two 512-byte zero blocks: the end of an archive with no entries.
            empty ??= await writeLayer(
                [Buffer.alloc(1024)],
                epochSeconds,
                path.join(dir, "layer-empty.tar.gz"),
            );
            out.push(empty);
            continue;
        }
        for (const [p, sig] of shape.dirs) below.set(p, sig);
        out.push(layers[i]);
    }
    return out;
}
