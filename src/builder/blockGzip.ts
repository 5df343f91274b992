import * as os from "os";
import { Transform, TransformCallback } from "stream";
import * as zlib from "zlib";

/*
 * Layer compression in independent fixed-size blocks, as pigz does, so every core works on one layer
 * and the bytes never depend on how many there are. The input is cut into BLOCK_SIZE blocks; each is
 * raw-deflated on the libuv threadpool with the previous block's last 32 KiB as its dictionary and
 * ends with a sync flush (byte-aligned, not final), unless a quick level-1 probe of a sample of it
 * says deflate saves under 3%: then it goes as stored blocks (incompressible weights cost no CPU). The blocks in input order, one empty final block,
 * and a gzip header and trailer (CRC-32 and size of the whole input) make one standard gzip member
 * that any gunzip reads. Each block's bytes are a pure function of (block, dictionary, level): the
 * same input gives the same stream on 1 core or 16, with 1 block in flight or 8.
 */

/**
 * The layer format's name: part of the build cache key, so a cached digest of another format (2.1's
 * serial gzip) is never reused for the same commit; change it with any change to the bytes below.
 */
export const LAYER_FORMAT = "gzip-blocks/1MiB/level6/dict32KiB/store<3%";

/** Uncompressed bytes per block. Part of the layer format: changing it changes every layer digest. */
export const BLOCK_SIZE = 1024 * 1024;
/** zlib level; part of the layer format as well. */
export const LEVEL = 6;
const DICTIONARY = 32 * 1024;

/** mtime 0, no flags, XFL 0, OS 3 (Unix): what Node's gzip wrote for level 6, fixed here. */
export const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
/** A final fixed-Huffman block holding only end-of-block: closes the deflate stream. */
export const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/** One block: raw deflate with the previous block's tail as dictionary, sync-flushed. */
export function deflateBlockOptions(dictionary: Buffer | undefined): zlib.ZlibOptions {
    return {
        level: LEVEL,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
        chunkSize: 256 * 1024,
        ...(dictionary && dictionary.length > 0 ? { dictionary } : {}),
    };
}

/** The gzip trailer: CRC-32 and the input size mod 2^32, little-endian. */
export function gzipTrailer(crc: number, size: number): Buffer {
    const t = Buffer.alloc(8);
    t.writeUInt32LE(crc >>> 0, 0);
    t.writeUInt32LE(size % 2 ** 32, 4);
    return t;
}

type Crc32 = (data: Uint8Array, value?: number) => number;
let table: Uint32Array | undefined;

/** zlib.crc32 where Node has it (20.15+), else the table-driven definition. */
export const crc32: Crc32 =
    (zlib as unknown as { crc32?: Crc32 }).crc32 ??
    ((data, value = 0) => {
        table ??= Uint32Array.from({ length: 256 }, (_, n) => {
            let c = n;
            for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
            return c >>> 0;
        });
        let c = ~value >>> 0;
        for (const b of data) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
        return ~c >>> 0;
    });

function deflateRaw(data: Buffer, options: zlib.ZlibOptions): Promise<Buffer> {
    return new Promise((resolve, reject) =>
        zlib.deflateRaw(data, options, (e, out) => (e ? reject(e) : resolve(out))),
    );
}

/** Four 8 KiB slices of a block (at 0, 1/4, 1/2 and 3/4): what decides whether it is worth deflating. */
export function blockSample(block: Buffer): Buffer {
    const q = Math.floor(block.length / 4);
    return Buffer.concat([0, q, 2 * q, 3 * q].map((at) => block.subarray(at, at + SAMPLE_SLICE)));
}

/** The sample's level-1 deflate is at least this share of it: the block is stored, not deflated. */
export const STORE_RATIO = 0.97;
const SAMPLE_SLICE = 8 * 1024;

/**
 * A block as deflate stored blocks (BFINAL 0, BTYPE 00, LEN, NLEN, the bytes; at most 65535 each),
 * byte-aligned like a sync flush: for incompressible data (model weights, archives, media), where
 * level 6 costs the most CPU and saves nothing.
 */
export function storedBlocks(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    for (let at = 0; at < block.length; at += 65535) {
        const piece = block.subarray(at, at + 65535);
        const head = Buffer.alloc(5);
        head.writeUInt16LE(piece.length, 1);
        head.writeUInt16LE(~piece.length & 0xffff, 3);
        parts.push(head, piece);
    }
    return Buffer.concat(parts);
}

/**
 * One block's deflate bytes, a pure function of the block and its dictionary: stored when a level-1
 * deflate of its sample saves under 3%, else level 6 with the dictionary and a sync flush.
 */
async function deflateBlock(block: Buffer, dictionary: Buffer | undefined): Promise<Buffer> {
    const sample = blockSample(block);
    const probe = await deflateRaw(sample, { level: 1, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    if (probe.length >= sample.length * STORE_RATIO) return storedBlocks(block);
    return deflateRaw(block, deflateBlockOptions(dictionary));
}

/** Blocks in flight at once: enough to keep every threadpool thread busy; never changes the bytes. */
export function defaultConcurrency(): number {
    const cores =
        typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
    return Math.max(2, cores + 1);
}

/**
 * A Transform from a layer's tar bytes to its gzip bytes, compressed block by block on the threadpool
 * with at most `concurrency` blocks in flight (memory: about 2 x BLOCK_SIZE per block in flight).
 */
export class BlockGzip extends Transform {
    private readonly concurrency: number;
    private readonly inFlight: Promise<Buffer>[] = [];
    private pending: Buffer[] = [];
    private pendingBytes = 0;
    private dictionary: Buffer | undefined;
    private crc = 0;
    private size = 0;
    private started = false;

    constructor(o: { concurrency?: number } = {}) {
        super();
        this.concurrency = Math.max(1, o.concurrency ?? defaultConcurrency());
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
        this.crc = crc32(chunk, this.crc);
        this.size += chunk.length;
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
        this.drainFull().then(() => done(), done);
    }

    override _flush(done: TransformCallback): void {
        (async () => {
            if (this.pendingBytes > 0) this.dispatch(Buffer.concat(this.pending));
            this.pending = [];
            this.pendingBytes = 0;
            while (this.inFlight.length > 0) this.out(await this.inFlight.shift()!);
            this.out(FINAL_BLOCK);
            this.push(gzipTrailer(this.crc, this.size));
        })().then(() => done(), done);
    }

    /** Dispatches every full block; waits for the oldest while `concurrency` are in flight. */
    private async drainFull(): Promise<void> {
        while (this.pendingBytes >= BLOCK_SIZE) {
            const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
            this.dispatch(all.subarray(0, BLOCK_SIZE));
            const rest = all.subarray(BLOCK_SIZE);
            this.pending = rest.length > 0 ? [rest] : [];
            this.pendingBytes = rest.length;
            while (this.inFlight.length >= this.concurrency) this.out(await this.inFlight.shift()!);
        }
    }

    private dispatch(block: Buffer): void {
        const dictionary = this.dictionary;
        // A copy: the block's memory may be a view into a larger chunk that is released.
        this.dictionary = Buffer.from(block.subarray(Math.max(0, block.length - DICTIONARY)));
        const p = deflateBlock(block, dictionary);
        p.catch(() => undefined); // awaited in order; an early rejection must not be unhandled
        this.inFlight.push(p);
    }

    private out(b: Buffer): void {
        if (!this.started) {
            this.started = true;
            this.push(GZIP_HEADER);
        }
        this.push(b);
    }
}
