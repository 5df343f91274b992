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

export type Header = tar.Header;
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
 * The largest values tar-stream's ustar fields hold: a size in 11 octal digits (8 GiB - 1), an owner
 * id in 6 (262143). Past them the format is not the limit, PAX is: tar-stream would write a size in
 * GNU base-256 (which strict POSIX readers reject) and clamp an id to 262143 without a word.
 */
export const USTAR_MAX_SIZE = 0o77777777777;
export const USTAR_MAX_ID = 0o777777;

/**
 * The entry's PAX records: its own minus the times, plus `size`, `uid` and `gid` when a ustar field
 * cannot hold them (POSIX's way, which Go's archive/tar, containerd and GNU tar read). A record the
 * engine already wrote keeps its place, so an export that used PAX gives the same bytes as before.
 */
function paxRecords(h: Header, body: boolean): Record<string, string> {
    const pax = Object.fromEntries(
        Object.entries((h.pax as Record<string, string> | null) ?? {}).filter(([k]) => !DROPPED_PAX.has(k)),
    );
    if (body && (h.size ?? 0) > USTAR_MAX_SIZE) pax.size = String(h.size);
    if ((h.uid ?? 0) > USTAR_MAX_ID) pax.uid = String(h.uid);
    if ((h.gid ?? 0) > USTAR_MAX_ID) pax.gid = String(h.gid);
    return pax;
}

/**
 * The normalised header: every mtime becomes the SOURCE_DATE_EPOCH, access/change times and
 * user/group names are dropped, everything else (name, mode, ids, type, link, device) is kept. A name
 * or link target past ustar's 100/155 bytes, or not ASCII, goes in a PAX record (tar-stream's pack).
 */
function normalHeader(h: Header, mtime: Date): Partial<Header> & { name: string } {
    const body = h.type === "file" || h.type === "contiguous-file";
    const pax = paxRecords(h, body);
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

/** Writes one entry's body to its sink, with backpressure both ways. */
async function copyBody(entry: TarEntry, sink: Writable, hasBody: boolean): Promise<void> {
    if (!hasBody) {
        for await (const c of entry) void c; // no body belongs to a directory, link or device
        return;
    }
    for await (const c of entry) {
        if (!sink.write(c)) await once(sink, "drain");
    }
    sink.end(null);
}

/**
 * Copies one entry into the pack. When the output fails (a full disk under a 10 GB layer), the pack
 * destroys the entry's sink with that error: it is heard here and thrown, rather than left as an
 * uncaught 'error' event, while the body's reader may wait forever on an input nobody feeds now.
 */
async function copyEntry(pack: tar.Pack, entry: TarEntry, header: Partial<Header> & { name: string }) {
    let resolveDone: () => void = () => undefined;
    let rejectDone: (e: Error) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
        resolveDone = resolve;
        rejectDone = reject;
    });
    const sink = pack.entry(header, (e) => (e ? rejectDone(e) : resolveDone()));
    sink.on("error", rejectDone);
    const copied = copyBody(entry, sink as unknown as Writable, header.size !== undefined);
    copied.catch(() => undefined);
    // A directory's entry is done at once: its (empty) body is still read before the next entry.
    await Promise.race([copied, done.then(() => copied)]);
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
    onEntry?: (header: Partial<Header> & { name: string }) => void,
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
            const header = normalHeader(entry.header, mtime);
            onEntry?.(header);
            await copyEntry(pack, entry as TarEntry, header);
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
    onEntry?: (header: Partial<Header> & { name: string }) => void,
): Promise<LayerBlob> {
    const diff = new Hashing(onBytes);
    const blob = new Hashing();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await normalizeTar(
        input,
        epochSeconds,
        [diff, new BlockGzip(), blob, fs.createWriteStream(file)],
        onEntry,
    );
    return {
        diffId: diff.digest(),
        digest: blob.digest(),
        size: blob.bytes,
        path: file,
        tarSize: diff.bytes,
    };
}
