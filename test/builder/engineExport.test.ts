import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import * as zlib from "zlib";
import { BuildError, readEngineExport } from "../../src/builder";
import { makeTar, normalizeLayer, referenceGzip } from "../fixtures/builder/reference";

const EPOCH = 1700000000;
const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");

function file(name: string, body: string | Buffer) {
    return { header: { name, type: "file" as const, mode: 0o644 }, body };
}

/** A small layer tar holding one file. */
function layerTar(fileName: string, content: string): Promise<Buffer> {
    return makeTar([
        {
            header: { name: fileName, type: "file", mode: 0o644, mtime: new Date(), uname: "me" },
            body: content,
        },
    ]);
}

describe("readEngineExport (the engine's image export, streamed)", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-export-test-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** The export fed in 1000-byte chunks, as a pipe delivers it. */
    const read = (bytes: Buffer) => {
        const chunks = Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) =>
            bytes.subarray(i * 1000, (i + 1) * 1000),
        );
        return readEngineExport(Readable.from(chunks), { epochSeconds: EPOCH, dir });
    };

    /** Each layer's diff_id, digest and file bytes are the whole-buffer reference's. */
    async function assertLayers(got: Awaited<ReturnType<typeof read>>, tars: Buffer[]): Promise<void> {
        assert.strictEqual(got.layers.length, tars.length);
        for (const [i, t] of tars.entries()) {
            const normal = await normalizeLayer(t, EPOCH);
            const gz = referenceGzip(normal);
            const l = got.layers[i];
            assert.deepStrictEqual(
                { diffId: l.diffId, digest: l.digest, size: l.size },
                { diffId: sha256(normal), digest: sha256(gz), size: gz.length },
            );
            assert.ok(fs.readFileSync(l.path).equals(gz));
        }
    }

    it("legacy docker save: config and layers in manifest order, manifest.json last", async () => {
        const [one, two] = [await layerTar("one", "1"), await layerTar("two", "2")];
        const save = await makeTar([
            file("l1/layer.tar", one),
            file("l2/layer.tar", two),
            file("c.json", '{"os":"linux"}'),
            file(
                "manifest.json",
                JSON.stringify([{ Config: "c.json", Layers: ["l2/layer.tar", "l1/layer.tar"] }]),
            ),
        ]);
        const got = await read(save);
        assert.deepStrictEqual(got.config, { os: "linux" });
        await assertLayers(got, [two, one]);
    });

    it("Docker 25 layout: <id>/layer.tar is a symlink to its blob; a gzip-compressed layer is read too", async () => {
        const one = await layerTar("one", "1");
        const hex = createHash("sha256").update(one).digest("hex");
        const save = await makeTar([
            file(`blobs/sha256/${hex}`, zlib.gzipSync(one)),
            file("blobs/sha256/cfg", '{"os":"linux"}'),
            { header: { name: "abc/layer.tar", type: "symlink", linkname: `../blobs/sha256/${hex}` } },
            file(
                "manifest.json",
                JSON.stringify([{ Config: "blobs/sha256/cfg", Layers: ["abc/layer.tar"] }]),
            ),
        ]);
        await assertLayers(await read(save), [one]);
    });

    it("BuildKit's OCI tarball: index.json -> manifest blob -> config and layers", async () => {
        const one = await layerTar("one", "1");
        const manifest = JSON.stringify({
            config: { digest: "sha256:" + "c".repeat(64) },
            layers: [{ digest: "sha256:" + "1".repeat(64) }],
        });
        const oci = await makeTar([
            file("oci-layout", '{"imageLayoutVersion":"1.0.0"}'),
            file(`blobs/sha256/${"1".repeat(64)}`, zlib.gzipSync(one)),
            file(`blobs/sha256/${"c".repeat(64)}`, '{"os":"linux","architecture":"arm64"}'),
            file(`blobs/sha256/${"m".repeat(64)}`, manifest),
            file("index.json", JSON.stringify({ manifests: [{ digest: "sha256:" + "m".repeat(64) }] })),
        ]);
        const got = await read(oci);
        assert.deepStrictEqual(got.config, { os: "linux", architecture: "arm64" });
        await assertLayers(got, [one]);
    });

    const refusals: { name: string; entries: () => Promise<Parameters<typeof makeTar>[0]>; error: string }[] =
        [
            {
                name: "no manifest.json",
                entries: async () => [file("x.json", "{}")],
                error: "docker save output has no manifest.json",
            },
            {
                name: "two images",
                entries: async () => [file("manifest.json", JSON.stringify([{}, {}]))],
                error: "docker save output holds 2 images, expected 1",
            },
            {
                name: "a layer the manifest names but the export lacks",
                entries: async () => [
                    file("c.json", "{}"),
                    file("manifest.json", JSON.stringify([{ Config: "c.json", Layers: ["gone/layer.tar"] }])),
                ],
                error: "the engine's image export lacks layer gone/layer.tar",
            },
            {
                name: "a layer that is not a tar",
                entries: async () => [
                    file("l/layer.tar", "not a tar ".repeat(100)),
                    file("c.json", "{}"),
                    file("manifest.json", JSON.stringify([{ Config: "c.json", Layers: ["l/layer.tar"] }])),
                ],
                error: "layer l/layer.tar of the engine's image export is not a tar: Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?",
            },
        ];
    for (const row of refusals) {
        it(`refuses ${row.name}, exact text`, async () => {
            await assert.rejects(read(await makeTar(await row.entries())), (e: unknown) => {
                assert.ok(e instanceof BuildError, String(e));
                assert.strictEqual(e.message, row.error);
                return true;
            });
        });
    }
});
