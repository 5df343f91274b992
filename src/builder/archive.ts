import { Readable } from "stream";
import * as zlib from "zlib";
import * as tar from "tar-stream";
import { BuildError } from "./errors";

type Header = tar.Header;

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
    return Buffer.concat(parts);
}

/** Reads every entry of a tar into memory; image tarballs of a release fit comfortably. */
export async function readTar(bytes: Buffer): Promise<Map<string, { header: Header; body: Buffer }>> {
    const out = new Map<string, { header: Header; body: Buffer }>();
    const extract = tar.extract();
    const done = (async () => {
        for await (const entry of extract) {
            out.set(entry.header.name, { header: entry.header, body: await collect(entry) });
        }
    })();
    Readable.from([bytes]).pipe(extract);
    await done;
    return out;
}

export interface SavedImage {
    config: Record<string, unknown>;
    layers: Buffer[];
}

/** The legacy `docker save` layout: manifest.json → Config file and Layers files, in order. */
export async function readDockerSave(bytes: Buffer): Promise<SavedImage> {
    const files = await readTar(bytes);
    const manifestFile = files.get("manifest.json");
    if (!manifestFile) throw new BuildError("docker save output has no manifest.json");
    const manifest = JSON.parse(manifestFile.body.toString("utf8")) as { Config: string; Layers: string[] }[];
    if (manifest.length !== 1) {
        throw new BuildError(`docker save output holds ${manifest.length} images, expected 1`);
    }
    const pick = (name: string) => {
        const f = files.get(name);
        if (!f) throw new BuildError(`docker save output lacks ${name}`);
        return f.body;
    };
    return {
        config: JSON.parse(pick(manifest[0].Config).toString("utf8")) as Record<string, unknown>,
        layers: manifest[0].Layers.map(pick),
    };
}

// Keys that carry wall-clock times or host identity; everything else in a PAX record is kept.
const DROPPED_PAX = new Set(["atime", "ctime", "mtime", "LIBARCHIVE.creationtime"]);

/**
 * Rewrites a layer so the same files always give the same bytes: every mtime becomes the
 * SOURCE_DATE_EPOCH, access/change times and user/group names are dropped, entry order is kept.
 * COPY keeps the checkout's mtimes, so without this two checkouts of one commit differ.
 */
export async function normalizeLayer(layer: Buffer, epochSeconds: number): Promise<Buffer> {
    const mtime = new Date(epochSeconds * 1000);
    const extract = tar.extract();
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    const collected = (async () => {
        chunks.push(await collect(pack));
    })();
    const written = (async () => {
        for await (const entry of extract) {
            const body = await collect(entry);
            const h = entry.header;
            const pax = Object.fromEntries(
                Object.entries((h.pax as Record<string, string> | null) ?? {}).filter(
                    ([k]) => !DROPPED_PAX.has(k),
                ),
            );
            const header: Partial<Header> & { name: string } = {
                name: h.name,
                mode: h.mode,
                uid: h.uid,
                gid: h.gid,
                mtime,
                type: h.type,
                linkname: h.linkname,
                uname: "",
                gname: "",
                devmajor: h.devmajor,
                devminor: h.devminor,
                ...(Object.keys(pax).length > 0 ? { pax } : {}),
            };
            await new Promise<void>((resolve, reject) =>
                pack.entry(header, body, (e) => (e ? reject(e) : resolve())),
            );
        }
        pack.finalize();
    })();
    Readable.from([layer]).pipe(extract);
    await written;
    await collected;
    return Buffer.concat(chunks);
}

/** Node's gzip writes mtime 0 and a fixed OS byte, so equal input gives equal output. */
export function gzipLayer(tarBytes: Buffer): Buffer {
    return zlib.gzipSync(tarBytes, { level: 6 });
}
