import * as assert from "assert";
import { byteSize, sizeText } from "../../src/release";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe("sizes in messages", () => {
    const rows: [number, string, string][] = [
        [0, "0 bytes", "0 B"],
        [300, "300 bytes", "300 B"],
        [1023, "1023 bytes", "1023 B"],
        [64 * KiB, "64 KiB (65536 bytes)", "64.0 KiB"],
        [1536, "1.5 KiB (1536 bytes)", "1.5 KiB"],
        [4 * MiB, "4 MiB (4194304 bytes)", "4.0 MiB"],
        [4 * MiB + 1, "4.0 MiB (4194305 bytes)", "4.0 MiB"],
        [128 * MiB, "128 MiB (134217728 bytes)", "128.0 MiB"],
        [2.5 * GiB, "2.5 GiB (2684354560 bytes)", "2.5 GiB"],
        [8 * GiB - 1, "8.0 GiB (8589934591 bytes)", "8.0 GiB"],
        [9 * GiB + 7, "9.0 GiB (9663676423 bytes)", "9.0 GiB"],
        [3 * 1024 * GiB, "3 TiB (3298534883328 bytes)", "3.0 TiB"],
    ];
    for (const [bytes, text, short] of rows) {
        it(`${bytes}: "${text}", "${short}"`, () => {
            assert.strictEqual(sizeText(bytes), text);
            assert.strictEqual(byteSize(bytes), short);
        });
    }
});
