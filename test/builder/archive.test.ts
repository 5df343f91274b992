import * as assert from "assert";
import * as zlib from "zlib";
import * as tar from "tar-stream";
import { BuildError, gzipLayer, normalizeLayer, readDockerSave } from "../../src/builder";
import { readTar } from "../../src/builder/archive";

interface Entry {
    header: Partial<tar.Header> & { name: string };
    body?: string;
}

async function makeTar(entries: Entry[]): Promise<Buffer> {
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    const collected = (async () => {
        for await (const c of pack) chunks.push(c as Buffer);
    })();
    for (const e of entries) {
        await new Promise<void>((resolve, reject) =>
            pack.entry(e.header, e.body ?? "", (err) => (err ? reject(err) : resolve())),
        );
    }
    pack.finalize();
    await collected;
    return Buffer.concat(chunks);
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

    it("gzipLayer is deterministic: equal bytes, mtime 0 in the header, round-trips", () => {
        const t = Buffer.from("layer tar bytes ".repeat(1000));
        const g1 = gzipLayer(t);
        const g2 = gzipLayer(Buffer.from(t));
        assert.ok(g1.equals(g2));
        assert.deepStrictEqual([...g1.subarray(0, 4)], [0x1f, 0x8b, 8, 0]);
        assert.strictEqual(g1.readUInt32LE(4), 0);
        assert.ok(zlib.gunzipSync(g1).equals(t));
        assert.ok(!gzipLayer(Buffer.from("other")).equals(g1));
    });

    it("readDockerSave refuses a tarball without manifest.json, exact text", async () => {
        const bad = await makeTar([{ header: { name: "x.json", type: "file", mode: 0o644 }, body: "{}" }]);
        await assert.rejects(
            readDockerSave(bad),
            (e: unknown) =>
                e instanceof BuildError && e.message === "docker save output has no manifest.json",
        );
    });

    it("readDockerSave reads config and layers in manifest order", async () => {
        const save = await makeTar([
            {
                header: { name: "manifest.json", type: "file", mode: 0o644 },
                body: JSON.stringify([{ Config: "c.json", Layers: ["l2/layer.tar", "l1/layer.tar"] }]),
            },
            { header: { name: "c.json", type: "file", mode: 0o644 }, body: '{"os":"linux"}' },
            { header: { name: "l1/layer.tar", type: "file", mode: 0o644 }, body: "one" },
            { header: { name: "l2/layer.tar", type: "file", mode: 0o644 }, body: "two" },
        ]);
        const r = await readDockerSave(save);
        assert.deepStrictEqual(r.config, { os: "linux" });
        assert.deepStrictEqual(
            r.layers.map((l) => l.toString()),
            ["two", "one"],
        );
    });
});
