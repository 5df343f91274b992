import * as assert from "assert";
import { mapLimit } from "../../src/flows";

describe("mapLimit", () => {
    for (const limit of [0, -1, 1.5, NaN]) {
        it(`refuses limit ${limit}`, async () => {
            await assert.rejects(
                mapLimit([1, 2], limit, (x) => Promise.resolve(x)),
                new RangeError(`mapLimit: limit must be an integer >= 1 (got ${limit})`),
            );
        });
    }
    it("runs every item with at most `limit` in flight, results in input order", async () => {
        let inFlight = 0;
        let peak = 0;
        const r = await mapLimit([30, 10, 20, 0, 5], 2, async (ms) => {
            peak = Math.max(peak, ++inFlight);
            await new Promise((res) => setTimeout(res, ms));
            inFlight--;
            return ms * 2;
        });
        assert.deepStrictEqual([r, peak], [[60, 20, 40, 0, 10], 2]);
    });
});

describe("mapLimit failures", () => {
    it("starts no new item after a failure, lets the ones in flight settle, then throws the first failure", async () => {
        const started: number[] = [];
        const settled: number[] = [];
        await assert.rejects(
            mapLimit([0, 1, 2, 3, 4], 2, async (i) => {
                started.push(i);
                await new Promise((res) => setTimeout(res, i === 0 ? 5 : 20));
                settled.push(i);
                if (i === 0) throw new Error("item 0 failed");
                return i;
            }),
            { message: "item 0 failed" },
        );
        assert.deepStrictEqual(
            [started, settled],
            [
                [0, 1],
                [0, 1],
            ],
        );
    });
});
