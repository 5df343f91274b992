import * as path from "path";
import { createGunzip } from "zlib";
import { Readable, Writable } from "stream";
import * as tar from "tar-stream";
import { sizeText } from "../release";
import { LayerBlob, TarEntry, writeLayer } from "./archive";
import { BuildError } from "./errors";
import { LayerShape, shapeCollector, withoutNoOpLayers } from "./noOpLayers";

/*
 * The engine's image export read as a stream, in one pass: the legacy `docker save` layout
 * (manifest.json → Config and Layers paths), the one Docker 25+ writes (the same manifest.json over an
 * OCI blobs/ tree) and BuildKit's OCI tarball (index.json → manifest blob → config and layers). The
 * tar's order is the engine's, and manifest.json comes last, so every entry that can be a layer
 * (`…/layer.tar`, or a blob that is not JSON) is normalised and compressed to a temporary file as it
 * passes, and the manifest then picks the layers it names, in its order. JSON documents (configs,
 * manifests) are small and read whole, up to METADATA_LIMIT.
 */

/** The most a JSON document of the export (a config, a manifest) may be. */
export const METADATA_LIMIT = 16 * 1024 * 1024;

export interface ExportedImage {
    config: Record<string, unknown>;
    layers: LayerBlob[];
}

export interface ExportOptions {
    epochSeconds: number;
    /** Where the compressed layers go; the caller deletes it. */
    dir: string;
    /** A layer's uncompressed bytes done so far, as they pass. */
    onLayerBytes?: (entry: string, bytes: number) => void;
    /** A layer candidate written, with how long it took. */
    onLayerWritten?: (entry: string, layer: LayerBlob, seconds: number) => void;
}

/** What the pass kept of each entry: a JSON document, a written layer, a link, or why not a layer. */
interface Entries {
    json: Map<string, Buffer>;
    layers: Map<string, LayerBlob | Error>;
    links: Map<string, string>;
    /** What each written layer holds, for withoutNoOpLayers. */
    shapes: Map<string, LayerShape>;
}

/** The entry's first bytes (at least 2 unless it is shorter) and an iterable of the whole body. */
async function peek(
    entry: AsyncIterable<Buffer>,
): Promise<{ head: Buffer; body: AsyncIterable<Buffer>; drain: () => Promise<void> }> {
    const it = entry[Symbol.asyncIterator]();
    const first: Buffer[] = [];
    let ended = false;
    while (Buffer.concat(first).length < 2) {
        const n = await it.next();
        if (n.done) {
            ended = true;
            break;
        }
        first.push(n.value);
    }
    const head = Buffer.concat(first);
    async function* body(): AsyncGenerator<Buffer> {
        if (head.length > 0) yield head;
        while (!ended) {
            const n = await it.next();
            if (n.done) {
                ended = true;
                return;
            }
            yield n.value;
        }
    }
    // Whatever a consumer left unread (it failed, or stopped at the end-of-archive blocks) is read
    // here, or the export's next entry never comes.
    const drain = async (): Promise<void> => {
        while (!ended) ended = (await it.next()).done === true;
    };
    return { head, body: body(), drain };
}

async function readWhole(name: string, body: AsyncIterable<Buffer>): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const c of body) {
        size += c.length;
        if (size > METADATA_LIMIT) {
            throw new BuildError(
                `the engine's image export holds "${name}", a JSON document (a config or manifest) of more than ${sizeText(METADATA_LIMIT)}; refusing it`,
            );
        }
        parts.push(c);
    }
    return Buffer.concat(parts);
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

function canBeLayer(name: string, head: Buffer): boolean {
    if (name.endsWith("/layer.tar")) return true;
    return name.startsWith("blobs/") && head[0] !== 0x7b; // "{": a config or a manifest
}

/** One regular entry: a layer candidate is written as it passes, anything else kept as JSON. */
async function takeEntry(name: string, entry: TarEntry, e: Entries, o: ExportOptions): Promise<void> {
    const { head, body, drain } = await peek(entry);
    if (!canBeLayer(name, head)) {
        e.json.set(name, await readWhole(name, body));
        return;
    }
    // An engine that stores layers compressed (containerd's store) exports them compressed.
    const tarBytes = head.subarray(0, 2).equals(GZIP_MAGIC)
        ? (Readable.from(body).pipe(createGunzip()) as AsyncIterable<Buffer>)
        : body;
    const file = path.join(o.dir, `layer-${e.layers.size + 1}.tar.gz`);
    const started = Date.now();
    const { shape, onEntry } = shapeCollector();
    try {
        const layer = await writeLayer(
            tarBytes,
            o.epochSeconds,
            file,
            (n) => o.onLayerBytes?.(name, n),
            onEntry,
        );
        e.layers.set(name, layer);
        e.shapes.set(name, shape);
        o.onLayerWritten?.(name, layer, (Date.now() - started) / 1000);
    } catch (err) {
        // Not a tar after all: fine unless the manifest names it as a layer.
        e.layers.set(name, err as Error);
    }
    await drain();
}

async function readEntries(input: Readable, o: ExportOptions): Promise<Entries> {
    const e: Entries = { json: new Map(), layers: new Map(), links: new Map(), shapes: new Map() };
    const extract = tar.extract();
    input.on("error", (err) => extract.destroy(err));
    input.pipe(extract as unknown as Writable);
    try {
        for await (const entry of extract) {
            const h = entry.header;
            const name = path.posix.normalize(h.name);
            if (h.type === "file" || h.type === "contiguous-file") {
                await takeEntry(name, entry as TarEntry, e, o);
                continue;
            }
            // Docker 25+ writes <id>/layer.tar as a symlink to its blob.
            if ((h.type === "symlink" || h.type === "link") && h.linkname) {
                const target =
                    h.type === "symlink" ? path.posix.join(path.posix.dirname(name), h.linkname) : h.linkname;
                e.links.set(name, path.posix.normalize(target));
            }
            for await (const c of entry) void c;
        }
    } catch (err) {
        input.destroy();
        throw err instanceof BuildError
            ? err
            : new BuildError(`cannot read the engine's image export: ${(err as Error).message}`);
    }
    return e;
}

function resolve(e: Entries, name: string): string {
    let n = path.posix.normalize(name);
    for (let hops = 0; e.links.has(n) && hops < 16; hops++) n = e.links.get(n)!;
    return n;
}

function jsonOf(e: Entries, name: string): Record<string, unknown> {
    const body = e.json.get(resolve(e, name));
    if (!body) throw new BuildError(`the engine's image export lacks ${name}`);
    return JSON.parse(body.toString("utf8")) as Record<string, unknown>;
}

function layerOf(e: Entries, name: string): LayerBlob {
    const l = e.layers.get(resolve(e, name));
    if (l === undefined) throw new BuildError(`the engine's image export lacks layer ${name}`);
    if (l instanceof Error)
        throw new BuildError(`layer ${name} of the engine's image export is not a tar: ${l.message}`);
    return l;
}

const blobPath = (digest: string): string => `blobs/${digest.replace(":", "/")}`;

/** The config and layer paths the export's manifest names, in order. */
function imagePaths(e: Entries): { config: string; layers: string[] } {
    if (e.json.has("manifest.json")) {
        const manifest = jsonOf(e, "manifest.json") as unknown as { Config: string; Layers: string[] }[];
        if (manifest.length !== 1) {
            throw new BuildError(`docker save output holds ${manifest.length} images, expected 1`);
        }
        return { config: manifest[0].Config, layers: manifest[0].Layers };
    }
    if (e.json.has("index.json")) {
        const index = jsonOf(e, "index.json") as { manifests?: { digest: string }[] };
        const all = index.manifests ?? [];
        if (all.length !== 1)
            throw new BuildError(`the OCI export holds ${all.length} manifests, expected 1`);
        const m = jsonOf(e, blobPath(all[0].digest)) as {
            config: { digest: string };
            layers: { digest: string }[];
        };
        return { config: blobPath(m.config.digest), layers: m.layers.map((l) => blobPath(l.digest)) };
    }
    throw new BuildError("docker save output has no manifest.json");
}

/** Reads the engine's export stream into the image's config and its layers, written under `o.dir`. */
export async function readEngineExport(input: Readable, o: ExportOptions): Promise<ExportedImage> {
    const e = await readEntries(input, o);
    const paths = imagePaths(e);
    const layers = await withoutNoOpLayers(
        paths.layers.map((l) => layerOf(e, l)),
        paths.layers.map((l) => e.shapes.get(resolve(e, l))),
        o.epochSeconds,
        o.dir,
    );
    return { config: jsonOf(e, paths.config), layers };
}
