import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tar from "tar-stream";
import { LayerBlob, writeLayer } from "../../src/builder";
import { shapeCollector, withoutNoOpLayers } from "../../src/builder/noOpLayers";

const EPOCH = 1700000000;
/** sha256 of 1024 zero bytes: the empty archive's diff_id. */
const EMPTY_DIFF_ID = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

type Entry = { name: string; type?: "directory" | "file"; mode?: number; uid?: number; body?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
    const pack = tar.pack();
    for (const e of entries) {
        const type = e.type ?? (e.name.endsWith("/") ? "directory" : "file");
        const header = {
            name: e.name,
            type,
            mode: e.mode ?? (type === "directory" ? 0o755 : 0o644),
            uid: e.uid ?? 0,
            gid: 0,
        };
        if (type === "file") pack.entry(header, e.body ?? "x");
        else pack.entry(header);
    }
    pack.finalize();
    const parts: Buffer[] = [];
    for await (const c of pack) parts.push(c as Buffer);
    return Buffer.concat(parts);
}

describe("no-op directory layers are written as the empty layer", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-noop-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Each layer written as engineExport writes it, then the rule applied; which layers became empty. */
    async function emptied(layers: Entry[][]): Promise<boolean[]> {
        const blobs: LayerBlob[] = [];
        const shapes = [];
        for (const [i, entries] of layers.entries()) {
            const { shape, onEntry } = shapeCollector();
            const file = path.join(dir, `${Math.random().toString(16).slice(2)}-${i}.tar.gz`);
            blobs.push(await writeLayer([await tarOf(entries)], EPOCH, file, undefined, onEntry));
            shapes.push(shape);
        }
        const out = await withoutNoOpLayers(blobs, shapes, EPOCH, dir);
        return out.map((l, i) => l !== blobs[i] && l.diffId === EMPTY_DIFF_ID);
    }

    const base: Entry[] = [{ name: "dev/" }, { name: "etc/" }, { name: "etc/app.json" }];
    const rows: { name: string; layers: Entry[][]; want: boolean[] }[] = [
        {
            name: "a RUN that wrote nothing but etc/ (the local engine's overlay differ)",
            layers: [base, [{ name: "etc/" }]],
            want: [false, true],
        },
        {
            name: "./etc and etc/ are one path",
            layers: [base, [{ name: "./etc", type: "directory" }]],
            want: [false, true],
        },
        {
            name: "a new directory (RUN mkdir /data) is kept",
            layers: [base, [{ name: "data/" }]],
            want: [false, false],
        },
        {
            name: "a directory whose mode changed is kept",
            layers: [base, [{ name: "etc/", mode: 0o700 }]],
            want: [false, false],
        },
        {
            name: "a directory whose owner changed is kept",
            layers: [base, [{ name: "etc/", uid: 1000 }]],
            want: [false, false],
        },
        {
            name: "a layer with a file is kept",
            layers: [base, [{ name: "etc/" }, { name: "etc/other" }]],
            want: [false, false],
        },
        {
            name: "a directory removed below (whiteout) and made again is kept",
            layers: [base, [{ name: ".wh.etc" }], [{ name: "etc/" }]],
            want: [false, false, false],
        },
        {
            name: "a directory under an opaque one below is no longer vouched for",
            layers: [
                [{ name: "a/" }, { name: "a/b/" }],
                [{ name: "a/" }, { name: "a/.wh..wh..opq" }],
                [{ name: "a/b/" }],
            ],
            want: [false, false, false],
        },
        {
            name: "a directory replaced by a file below is kept when made again",
            layers: [[{ name: "d/" }], [{ name: "d" }], [{ name: "d/" }]],
            want: [false, false, false],
        },
        { name: "the first layer is never a no-op", layers: [[{ name: "etc/" }]], want: [false] },
        { name: "an empty layer stays what it is", layers: [base, []], want: [false, false] },
    ];
    for (const r of rows) {
        it(r.name, async () => assert.deepStrictEqual(await emptied(r.layers), r.want));
    }

    it("a layer whose contents are unknown vouches for nothing above it", async () => {
        const { shape, onEntry } = shapeCollector();
        const first = await writeLayer([await tarOf(base)], EPOCH, path.join(dir, "u1.tar.gz"));
        const second = await writeLayer(
            [await tarOf([{ name: "etc/" }])],
            EPOCH,
            path.join(dir, "u2.tar.gz"),
            undefined,
            onEntry,
        );
        const out = await withoutNoOpLayers([first, second], [undefined, shape], EPOCH, dir);
        assert.deepStrictEqual(out, [first, second]);
    });
});
