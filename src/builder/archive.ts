import { createHash } from "crypto";
import { once } from "events";
import * as fs from "fs";
import * as path from "path";
import { Readable, Transform, TransformCallback, Writable } from "stream";
import { pipeline } from "stream/promises";
import * as tar from "tar-stream";
import { BlockGzip } from "./blockGzip";

/*
 * One layer's byte path, streamed: the engine's layer tar → normalised tar (diff_id hashed on the
 * way) → block gzip (digest and size counted on the way) → a temporary file. Memory stays a few
 * blocks whatever the layer's size. The compressed layer is the one spill of the release: its upload
 * needs its digest before the first byte (a HEAD skips a blob the registry already has, and the
 * upload is closed under the digest), and a retry must send the same bytes again.
 */

type Header = tar.Header;
/** An entry of tar-stream's extract: its header and its body's chunks. */
export type TarEntry = AsyncIterable<Buffer> & { header: Header };

/** A layer written to disk: its digests, its compressed size and where its bytes are. */
export interface LayerBlob {
    /** sha256 of the normalised, uncompressed tar: the config's rootfs.diff_ids entry. */
    diffId: string;
    /** sha256 of the compressed bytes in `path`: the manifest's layer digest. */
    digest: string;
    size: number;
    path: string;
    /** The normalised tar's size: what was compressed. */
    tarSize: number;
}

/** Passes bytes through, hashing and counting them. */
export class Hashing extends Transform {
    bytes = 0;
    private readonly hash = createHash("sha256");

    constructor(private readonly onBytes?: (bytes: number) => void) {
        super();
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
        this.hash.update(chunk);
        this.bytes += chunk.length;
        this.onBytes?.(this.bytes);
        done(null, chunk);
    }

    digest(): string {
        return "sha256:" + this.hash.digest("hex");
    }
}

// Keys that carry wall-clock times or host identity; everything else in a PAX record is kept.
const DROPPED_PAX = new Set(["atime", "ctime", "mtime", "LIBARCHIVE.creationtime"]);

/**
 * The normalised header: every mtime becomes the SOURCE_DATE_EPOCH, access/change times and
 * user/group names are dropped, everything else (name, mode, ids, type, link, device) is kept.
 */
function normalHeader(h: Header, mtime: Date): Partial<Header> & { name: string } {
    const pax = Object.fromEntries(
        Object.entries((h.pax as Record<string, string> | null) ?? {}).filter(([k]) => !DROPPED_PAX.has(k)),
    );
    const body = h.type === "file" || h.type === "contiguous-file";
    return {
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
        ...(body ? { size: h.size } : {}),
        ...(Object.keys(pax).length > 0 ? { pax } : {}),
    };
}

/** Copies one entry's body into the pack's sink for it, with backpressure both ways. */
async function copyEntry(pack: tar.Pack, entry: TarEntry, header: Partial<Header> & { name: string }) {
    let resolveDone: () => void = () => undefined;
    let rejectDone: (e: Error) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
        resolveDone = resolve;
        rejectDone = reject;
    });
    const sink = pack.entry(header, (e) => (e ? rejectDone(e) : resolveDone()));
    if (header.size === undefined) {
        for await (const c of entry) void c; // no body belongs to a directory, link or device
    } else {
        for await (const c of entry) {
            if (!sink.write(c)) await once(sink, "drain");
        }
        sink.end(null);
    }
    await done;
}

/**
 * Rewrites a layer tar, streamed, so the same files always give the same bytes (normalHeader; entry
 * order and bodies kept) into `sinks`. COPY keeps the checkout's mtimes, so without this two
 * checkouts of one commit differ.
 */
export async function normalizeTar(
    input: AsyncIterable<Buffer> | Iterable<Buffer>,
    epochSeconds: number,
    sinks: [Transform, ...(Transform | Writable)[]],
): Promise<void> {
    const mtime = new Date(epochSeconds * 1000);
    const extract = tar.extract();
    const pack = tar.pack();
    const written = pipeline(Readable.from(pack), ...(sinks as [Transform]));
    written.catch((e: Error) => extract.destroy(e));
    const source = Readable.from(input);
    source.on("error", (e) => extract.destroy(e));
    source.pipe(extract as unknown as Writable);
    try {
        for await (const entry of extract) {
            await copyEntry(pack, entry as TarEntry, normalHeader(entry.header, mtime));
        }
        pack.finalize();
    } catch (e) {
        source.destroy();
        pack.destroy(e as Error);
        await written.catch(() => undefined);
        throw e;
    }
    await written;
}

/**
 * One layer from the engine's tar (streamed) to a compressed blob in `file`: normalised, diff_id
 * hashed, block-gzipped, digest hashed. `onBytes` hears the uncompressed bytes done so far.
 */
export async function writeLayer(
    input: AsyncIterable<Buffer> | Iterable<Buffer>,
    epochSeconds: number,
    file: string,
    onBytes?: (bytes: number) => void,
): Promise<LayerBlob> {
    const diff = new Hashing(onBytes);
    const blob = new Hashing();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await normalizeTar(input, epochSeconds, [diff, new BlockGzip(), blob, fs.createWriteStream(file)]);
    return {
        diffId: diff.digest(),
        digest: blob.digest(),
        size: blob.bytes,
        path: file,
        tarSize: diff.bytes,
    };
}
