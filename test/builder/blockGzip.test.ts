import * as assert from "assert";
import { execFileSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as path from "path";
import { Readable } from "stream";
import * as zlib from "zlib";
import { BLOCK_SIZE, BlockGzip, buildKey, CONFIG_FORMAT, LAYER_FORMAT } from "../../src/builder";
import { referenceGzip } from "../fixtures/builder/reference";
import { gzipDigestInput, sample } from "../fixtures/builder/sample";

const MiB = 1024 * 1024;

async function blockGzip(data: Buffer, concurrency: number, chunk: number): Promise<Buffer> {
    const chunks = Array.from({ length: Math.ceil(data.length / chunk) }, (_, i) =>
        data.subarray(i * chunk, (i + 1) * chunk),
    );
    const parts: Buffer[] = [];
    for await (const c of Readable.from(chunks).pipe(new BlockGzip({ concurrency }))) parts.push(c as Buffer);
    return Buffer.concat(parts);
}

describe("block gzip (the layer compressor)", function () {
    this.timeout(60_000);

    const rows: { name: string; bytes: number }[] = [
        { name: "empty", bytes: 0 },
        { name: "one byte", bytes: 1 },
        { name: "one block less a byte", bytes: BLOCK_SIZE - 1 },
        { name: "exactly one block", bytes: BLOCK_SIZE },
        { name: "one block and a byte", bytes: BLOCK_SIZE + 1 },
        { name: "three and a half blocks, text and noise", bytes: 3.5 * MiB },
    ];
    for (const row of rows) {
        it(`${row.name}: the same bytes as the whole-buffer reference, with 1 or 4 blocks in flight, any chunking`, async () => {
            const data = sample(row.bytes);
            const want = referenceGzip(data);
            for (const [concurrency, chunk] of [
                [1, 65536],
                [4, 65536],
                [4, 1000],
                [3, 3 * MiB],
            ]) {
                const got = await blockGzip(data, concurrency, chunk);
                assert.ok(got.equals(want), `concurrency ${concurrency}, chunks of ${chunk}: bytes differ`);
            }
            assert.ok(zlib.gunzipSync(want).equals(data), "a standard gunzip reads it back");
        });
    }

    it("writes a gzip header with mtime 0 and ratio within 0.1% of gzip -6 on compressible data", async () => {
        const data = sample(4 * MiB);
        const got = await blockGzip(data, 4, 65536);
        assert.deepStrictEqual([...got.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
        const ratio = got.length / zlib.gzipSync(data, { level: 6 }).length;
        assert.ok(ratio < 1.001, `block gzip is ${ratio.toFixed(4)}x gzip -6`);
    });

    it("names the layer and config formats in the build key, so a cache entry of another format is never reused", () => {
        assert.strictEqual(LAYER_FORMAT, "gzip-blocks/1MiB/level6/dict32KiB/store<3%");
        assert.strictEqual(CONFIG_FORMAT, "history-without-created_by/run-config-without-nulls");
        const o = {
            repository: "r/a",
            contextHash: "sha256:c",
            platforms: ["linux/amd64"],
            labels: { b: "2", a: "1" },
            sourceDateEpoch: 1,
        };
        const text = JSON.stringify([
            LAYER_FORMAT,
            CONFIG_FORMAT,
            "r/a",
            "sha256:c",
            ["linux/amd64"],
            [
                ["a", "1"],
                ["b", "2"],
            ],
            1,
        ]);
        assert.strictEqual(buildKey(o), createHash("sha256").update(text).digest("hex"));
    });

    it("gives the same bytes with libuv thread pool sizes 1 and 4 (separate processes)", () => {
        const script = path.join(__dirname, "..", "fixtures", "builder", "gzipDigest.ts");
        const run = (threads: string): string =>
            execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", script], {
                env: { ...process.env, UV_THREADPOOL_SIZE: threads },
                encoding: "utf8",
            }).trim();
        const one = run("1");
        const four = run("4");
        assert.match(one, /^threads 1 sha256:[0-9a-f]{64}$/);
        assert.strictEqual(four.replace("threads 4", "threads 1"), one);
        const want = createHash("sha256").update(referenceGzip(gzipDigestInput())).digest("hex");
        assert.strictEqual(one, `threads 1 sha256:${want}`);
    });

    it("incompressible random input is stored, not deflated: round-trips, matches the reference, no larger than gzip -6", async () => {
        const data = randomBytes(2 * MiB + 123);
        const got = await blockGzip(data, 2, 100_000);
        assert.ok(zlib.gunzipSync(got).equals(data));
        assert.ok(got.equals(referenceGzip(data)));
        // Stored, not deflated: a first stored block of 65535 bytes right after the header, and no
        // larger than gzip -6 (which spends its CPU to save nothing).
        assert.deepStrictEqual([...got.subarray(10, 15)], [0, 0xff, 0xff, 0, 0]);
        assert.ok(got.length <= zlib.gzipSync(data, { level: 6 }).length);
    });
});
