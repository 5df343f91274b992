import * as assert from "assert";
import { PassThrough, Writable } from "stream";
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
});
