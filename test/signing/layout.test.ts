import * as assert from "assert";
import { dsseEnvelope, pae } from "../../src/signing";

const SLICE = 3 * 1024 * 1024;

describe("DSSE envelope bytes", () => {
    // Around every boundary of the base64 slices (3 MiB) and of base64's own 3-byte groups.
    const lengths = [0, 1, 2, 3, 4, SLICE - 1, SLICE, SLICE + 1, 2 * SLICE + 2];
    for (const n of lengths) {
        it(`a ${n}-byte payload: the same bytes as JSON.stringify of the envelope`, () => {
            const payload = Buffer.alloc(n);
            for (let i = 0; i < n; i++) payload[i] = (i * 7919) & 0xff;
            const type = "application/vnd.in-toto+json";
            const sig = "MEUCIQ+/=";
            const expected = JSON.stringify({
                payloadType: type,
                payload: payload.toString("base64"),
                signatures: [{ keyid: "", sig }],
            });
            assert.ok(dsseEnvelope(type, payload, sig).equals(Buffer.from(expected)));
        });
    }

    it("pae is DSSEv1's pre-authentication encoding", () => {
        assert.strictEqual(pae("t/x", Buffer.from("hello")).toString(), "DSSEv1 3 t/x 5 hello");
    });
});
