import * as assert from "assert";
import { PassThrough, Readable, Writable } from "stream";
import * as tar from "tar-stream";
import { normalizeTar } from "../../src/builder";
import { Entry, makeTar, normalizeLayer as referenceNormalize, readTar } from "../fixtures/builder/reference";

/** The streamed normaliser, fed in small chunks, collected; checked against the whole-buffer one. */
async function normalizeLayer(layer: Buffer, epoch: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    const sink = new Writable({
        write(c: Buffer, _e, done) {
            parts.push(c);
            done();
        },
    });
    const chunks = Array.from({ length: Math.ceil(layer.length / 700) }, (_, i) =>
        layer.subarray(i * 700, (i + 1) * 700),
    );
    await normalizeTar(chunks, epoch, [new PassThrough(), sink]);
    const out = Buffer.concat(parts);
    assert.ok(
        out.equals(await referenceNormalize(layer, epoch)),
        "streamed and whole-buffer normalisers differ",
    );
    return out;
}

const EPOCH = 1700000000;

/** One layer as two different checkouts/hosts would produce it: same files, other times and owners. */
function layer(mtime: Date, uname: string, gname: string): Entry[] {
    const common = { mtime, uname, gname, uid: 0, gid: 0 };
    return [
        { header: { ...common, name: "app/", type: "directory", mode: 0o755 } },
        { header: { ...common, name: "app/hello", type: "file", mode: 0o755 }, body: "#!/bin/sh\necho hi\n" },
        {
            header: { ...common, name: "app/data", type: "file", mode: 0o640, uid: 1000, gid: 1000 },
            body: "d",
        },
        { header: { ...common, name: "app/link", type: "symlink", linkname: "hello", mode: 0o777 } },
        { header: { ...common, name: "app/hard", type: "link", linkname: "app/hello", mode: 0o755 } },
        { header: { ...common, name: "app/.wh.gone", type: "file", mode: 0o644 }, body: "" },
    ];
}

describe("layer archives", () => {
    it("normalizeLayer makes tars that differ only in mtimes and owner names byte-identical", async () => {
        const a = await makeTar(layer(new Date("2031-01-01T00:00:00Z"), "alice", "staff"));
        const b = await makeTar(layer(new Date("2032-06-07T08:09:10Z"), "bob", "wheel"));
        assert.notDeepStrictEqual(a, b);
        const na = await normalizeLayer(a, EPOCH);
        const nb = await normalizeLayer(b, EPOCH);
        assert.ok(na.equals(nb), "normalized layers differ");
        assert.ok(!na.equals(await normalizeLayer(a, EPOCH + 1)), "the epoch must be written");
    });

    it("keeps names, order, types, modes, ids, symlink and hardlink targets and bodies", async () => {
        const n = await normalizeLayer(
            await makeTar(layer(new Date("2031-01-01T00:00:00Z"), "alice", "staff")),
            EPOCH,
        );
        const entries = await readTar(n);
        const seen = [...entries.values()].map(({ header: h, body }) => ({
            name: h.name,
            type: h.type,
            mode: h.mode,
            uid: h.uid,
            gid: h.gid,
            uname: h.uname,
            gname: h.gname,
            linkname: h.linkname,
            mtime: h.mtime?.toISOString(),
            body: body.toString(),
        }));
        const t = "2023-11-14T22:13:20.000Z";
        assert.deepStrictEqual(seen, [
            {
                name: "app/",
                type: "directory",
                mode: 0o755,
                uid: 0,
                gid: 0,
                uname: "",
                gname: "",
                linkname: null,
                mtime: t,
                body: "",
            },
            {
                name: "app/hello",
                type: "file",
                mode: 0o755,
                uid: 0,
                gid: 0,
                uname: "",
                gname: "",
                linkname: null,
                mtime: t,
                body: "#!/bin/sh\necho hi\n",
            },
            {
                name: "app/data",
                type: "file",
                mode: 0o640,
                uid: 1000,
                gid: 1000,
                uname: "",
                gname: "",
                linkname: null,
                mtime: t,
                body: "d",
            },
            {
                name: "app/link",
                type: "symlink",
                mode: 0o777,
                uid: 0,
                gid: 0,
                uname: "",
                gname: "",
                linkname: "hello",
                mtime: t,
                body: "",
            },
            {
                name: "app/hard",
                type: "link",
                mode: 0o755,
                uid: 0,
                gid: 0,
                uname: "",
                gname: "",
                linkname: "app/hello",
                mtime: t,
                body: "",
            },
            {
                name: "app/.wh.gone",
                type: "file",
                mode: 0o644,
                uid: 0,
                gid: 0,
                uname: "",
                gname: "",
                linkname: null,
                mtime: t,
                body: "",
            },
        ]);
    });

    it("drops PAX times but keeps other PAX records (long names, xattrs)", async () => {
        const longName = `app/${"x".repeat(120)}/file`;
        const withPax = (atime: string): Entry[] => [
            {
                header: {
                    name: longName,
                    type: "file",
                    mode: 0o644,
                    mtime: new Date(0),
                    pax: { atime, ctime: atime, "SCHILY.xattr.user.k": "v" },
                },
                body: "x",
            },
        ];
        const a = await normalizeLayer(await makeTar(withPax("1900000000.5")), EPOCH);
        const b = await normalizeLayer(await makeTar(withPax("1800000000.25")), EPOCH);
        assert.ok(a.equals(b));
        const [entry] = [...(await readTar(a)).values()];
        assert.strictEqual(entry.header.name, longName);
        assert.deepStrictEqual(entry.header.pax, { path: longName, "SCHILY.xattr.user.k": "v" });
        assert.strictEqual(entry.body.toString(), "x");
    });

    it("refuses a layer that is not a tar, and leaves nothing half-written", async () => {
        await assert.rejects(normalizeLayer(Buffer.from("not a tar at all ".repeat(64)), EPOCH));
    });

    describe("past ustar's fields: PAX records, not a refusal", () => {
        const GiB = 1024 ** 3;
        /** A header as the engine wrote it: its blocks only (1536 bytes with a PAX record, else 512). */
        async function headerBlocks(header: Entry["header"], bytes: number): Promise<Buffer> {
            const pack = tar.pack();
            pack.entry(header);
            const parts: Buffer[] = [];
            for await (const c of pack) {
                parts.push(c as Buffer);
                if (Buffer.concat(parts).length >= bytes) break;
            }
            return Buffer.concat(parts).subarray(0, bytes);
        }
        /** `head`, then zeros for as long as the reader reads: a body of any size, never all made. */
        async function* endless(head: Buffer): AsyncGenerator<Buffer> {
            yield head;
            const zeros = Buffer.alloc(64 * 1024);
            for (;;) yield zeros;
        }
        /** The first entry header normalizeTar writes for `input`; it is stopped right after. */
        async function normalisedHeader(input: AsyncIterable<Buffer>): Promise<tar.Header> {
            const parts: Buffer[] = [];
            let stopped = false;
            const sink = new Writable({
                write(c: Buffer, _e, done) {
                    parts.push(c);
                    const stop = !stopped && Buffer.concat(parts).length >= 2048;
                    stopped ||= stop;
                    done(stop ? new Error("enough") : null);
                },
            });
            await assert.rejects(normalizeTar(input, EPOCH, [new PassThrough(), sink]), /enough/);
            const extract = tar.extract();
            Readable.from([Buffer.concat(parts)]).pipe(extract);
            for await (const entry of extract) {
                extract.destroy();
                return entry.header;
            }
            throw new Error("no entry");
        }
        const big = 9 * GiB + 7;
        const rows: {
            name: string;
            header: Entry["header"];
            blocks: number;
            size?: number;
            pax: Record<string, string>;
        }[] = [
            {
                name: "a 9 GiB file the engine wrote with a PAX size (Go's archive/tar)",
                header: { name: "model/weights.bin", size: big, pax: { size: String(big) } },
                blocks: 1536,
                size: big,
                pax: { path: "model/weights.bin", size: String(big) },
            },
            {
                name: "a 9 GiB file the engine wrote in GNU base-256",
                header: { name: "model/weights.bin", size: big },
                blocks: 512,
                size: big,
                pax: { path: "model/weights.bin", size: String(big) },
            },
            {
                name: "8 GiB - 1, the most ustar's size field holds: no PAX record",
                header: { name: "model/w.bin", size: 8 * GiB - 1 },
                blocks: 512,
                size: 8 * GiB - 1,
                pax: {},
            },
        ];
        for (const r of rows) {
            it(`${r.name}: size ${r.size}`, async () => {
                const h = await normalisedHeader(endless(await headerBlocks(r.header, r.blocks)));
                assert.strictEqual(h.name, r.header.name);
                assert.strictEqual(h.size, r.size);
                assert.deepStrictEqual(h.pax ?? {}, r.pax);
            });
        }

        /**
         * The first header's uid and gid as Go's archive/tar writes them up to 2097151: 7 octal digits
         * (tar-stream's own writer has 6, so makeTar alone cannot say 1000000).
         */
        function goIds(bytes: Buffer, uid: number, gid: number): Buffer {
            const out = Buffer.from(bytes);
            out.write(`${uid.toString(8).padStart(7, "0")}\0`, 108, "latin1");
            out.write(`${gid.toString(8).padStart(7, "0")}\0`, 116, "latin1");
            out.fill(" ", 148, 156);
            let sum = 0;
            for (let i = 0; i < 512; i++) sum += out[i];
            out.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
            return out;
        }
        async function normalised(
            entries: Entry[],
            ids?: { uid: number; gid: number },
        ): Promise<Map<string, { header: tar.Header; body: Buffer }>> {
            const parts: Buffer[] = [];
            const sink = new Writable({
                write(c: Buffer, _e, done) {
                    parts.push(c);
                    done();
                },
            });
            const input = await makeTar(entries);
            await normalizeTar([ids ? goIds(input, ids.uid, ids.gid) : input], EPOCH, [
                new PassThrough(),
                sink,
            ]);
            return readTar(Buffer.concat(parts));
        }
        const longDir = `${"d".repeat(150)}/${"e".repeat(150)}`;
        const idRows: {
            name: string;
            entry: Entry;
            ids?: { uid: number; gid: number };
            pax: Record<string, string>;
        }[] = [
            {
                name: "owner ids past 262143 (tar-stream's 6 octal digits clamp them)",
                entry: {
                    header: { name: "data/f", type: "file", mode: 0o644, uid: 1000000, gid: 300000 },
                    body: "x",
                },
                ids: { uid: 1000000, gid: 300000 },
                pax: { path: "data/f", uid: "1000000", gid: "300000" },
            },
            {
                name: "owner id 262143, the most the field holds",
                entry: {
                    header: { name: "data/f", type: "file", mode: 0o644, uid: 262143, gid: 0 },
                    body: "x",
                },
                pax: {},
            },
            {
                name: "a 306-byte path no ustar prefix split can hold",
                entry: { header: { name: `${longDir}/f`, type: "file", mode: 0o644 }, body: "x" },
                pax: { path: `${longDir}/f` },
            },
            {
                name: "a non-ASCII name",
                entry: { header: { name: "données/modèle.bin", type: "file", mode: 0o644 }, body: "x" },
                pax: { path: "données/modèle.bin" },
            },
            {
                name: "a symlink target past 100 bytes",
                entry: { header: { name: "l", type: "symlink", linkname: longDir, mode: 0o777 } },
                pax: { path: "l", linkpath: longDir },
            },
        ];
        for (const r of idRows) {
            it(`keeps ${r.name}`, async () => {
                const [{ header: h }] = [...(await normalised([r.entry], r.ids)).values()];
                assert.strictEqual(h.name, r.entry.header.name);
                assert.strictEqual(h.linkname ?? undefined, r.entry.header.linkname);
                assert.deepStrictEqual(h.pax ?? {}, r.pax);
                // tar-stream reads ids from the ustar field only; the PAX record is what readers apply.
                const uid = Number((h.pax as Record<string, string> | null)?.uid ?? h.uid);
                assert.strictEqual(uid, r.entry.header.uid ?? 0);
            });
        }
    });
});
