import { byteSize } from "./byteSize";

/*
 * Per-layer progress of a long transfer: a release compressing (the engine's export streamed to a
 * layer file) and uploading, a copy (promote, rollback, mirrors) streaming a layer from one
 * repository to another. Events come as bytes move; faces decide what to show (a live line per layer
 * on a TTY, one line per layer when it is done otherwise).
 */

export interface LayerProgress {
    /** `linux/amd64` while compressing; empty for an upload or a copy, which serves every platform that has the layer. */
    platform: string;
    /** While compressing, the export's entry name; once done, and for uploads and copies, the layer digest. */
    layer: string;
    /** A compression's entry in the engine's export, in every event of it (`layer` is the digest once done). */
    source?: string;
    phase: "compress" | "upload" | "copy";
    /** Uncompressed bytes read so far while compressing; compressed bytes (sent) otherwise. */
    bytes: number;
    /** An upload's or a copy's size; a finished compression's output size. */
    total?: number;
    done: boolean;
    /** Once done: how long the phase took. */
    seconds?: number;
    /**
     * A transfer that moved no bytes: the target registry already had the blob (`exists`), or linked
     * it from the source repository on the same registry (`mounted`). `bytes` is then the blob's size.
     */
    skipped?: "exists" | "mounted";
}

function rate(bytes: number, seconds: number): string {
    return seconds > 0 ? `${byteSize(bytes / seconds)}/s` : "-";
}

const short = (digest: string): string => digest.replace(/^sha256:/, "").slice(0, 12);

/** The one line for a finished layer phase, e.g. `pushed layer 3f2a…: 1.0 GiB in 9.8 s (104.5 MiB/s)`. */
export function layerDoneLine(e: LayerProgress): string {
    const secs = (e.seconds ?? 0).toFixed(1);
    if (e.phase === "compress") {
        const out = e.total !== undefined ? ` -> ${byteSize(e.total)}` : "";
        return `compressed layer ${short(e.layer)} (${e.platform}): ${byteSize(e.bytes)}${out} in ${secs} s`;
    }
    if (e.skipped === "exists")
        return `layer ${short(e.layer)} already in the registry (${byteSize(e.bytes)})`;
    if (e.skipped === "mounted") {
        return `layer ${short(e.layer)} mounted from the source repository (${byteSize(e.bytes)})`;
    }
    const verb = e.phase === "copy" ? "copied" : "pushed";
    return `${verb} layer ${short(e.layer)}: ${byteSize(e.bytes)} in ${secs} s (${rate(e.bytes, e.seconds ?? 0)})`;
}

/** The live line for a layer in flight `seconds` so far, e.g. `pushing 3f2a…  512.0 MiB / 1.0 GiB  98.0 MiB/s`. */
export function layerLiveLine(e: LayerProgress, seconds = 0): string {
    if (e.done) return layerDoneLine(e);
    const speed = seconds > 0 ? `  ${rate(e.bytes, seconds)}` : "";
    if (e.phase === "compress") return `compressing ${e.layer} (${e.platform})  ${byteSize(e.bytes)}${speed}`;
    const verb = e.phase === "copy" ? "copying" : "pushing";
    return `${verb} ${short(e.layer)}  ${byteSize(e.bytes)} / ${byteSize(e.total ?? 0)}${speed}`;
}

/**
 * Progress without animation: one `image-release: <done line>` per finished layer, nothing per chunk.
 * What a command prints off a TTY, and what a dynamic provider prints under `pulumi up` (its output
 * reaches the engine unstructured, with no resource to attach a live line to).
 */
export function layerDoneLines(write: (line: string) => void): (e: LayerProgress) => void {
    return (e) => {
        if (e.done) write(`image-release: ${layerDoneLine(e)}\n`);
    };
}
