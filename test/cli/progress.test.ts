import * as assert from "assert";
import { byteSize, LayerProgress, layerDoneLine, layerLiveLine } from "../../src/release";
import { Io } from "../../src/cli/context";
import { layerReporter } from "../../src/cli/progress";

const D = "sha256:3f2a9c0d1e2b" + "0".repeat(52);
const events: LayerProgress[] = [
    {
        platform: "linux/amd64",
        layer: "abc/layer.tar",
        source: "abc/layer.tar",
        phase: "compress",
        bytes: 1024,
        done: false,
    },
    {
        platform: "linux/amd64",
        layer: D,
        source: "abc/layer.tar",
        phase: "compress",
        bytes: 1536,
        total: 700,
        done: true,
        seconds: 0.25,
    },
    { platform: "", layer: D, phase: "upload", bytes: 350, total: 700, done: false },
    { platform: "", layer: D, phase: "upload", bytes: 700, total: 700, done: true, seconds: 2 },
];

function capture(tty: boolean): { io: Io; err: string[]; raw: string[] } {
    const err: string[] = [];
    const raw: string[] = [];
    return {
        io: {
            out: () => undefined,
            err: (s) => err.push(s),
            ...(tty ? { tty: { write: (s: string) => raw.push(s), columns: 80 } } : {}),
        },
        err,
        raw,
    };
}

describe("per-layer progress", () => {
    it("byteSize and the done/live lines, exact text", () => {
        assert.deepStrictEqual([0, 1023, 1536, 5 * 1024 * 1024, 3 * 1024 ** 3].map(byteSize), [
            "0 B",
            "1023 B",
            "1.5 KiB",
            "5.0 MiB",
            "3.0 GiB",
        ]);
        assert.deepStrictEqual(
            events.map((e) => layerLiveLine(e, 2)),
            [
                "compressing abc/layer.tar (linux/amd64)  1.0 KiB  512 B/s",
                "compressed layer 3f2a9c0d1e2b (linux/amd64): 1.5 KiB -> 700 B in 0.3 s",
                "pushing 3f2a9c0d1e2b  350 B / 700 B  175 B/s",
                "pushed layer 3f2a9c0d1e2b: 700 B in 2.0 s (350 B/s)",
            ],
        );
    });

    const copying: LayerProgress = {
        platform: "",
        layer: D,
        phase: "copy",
        bytes: 350,
        total: 700,
        done: false,
    };
    const rows: { name: string; e: LayerProgress; live: string }[] = [
        { name: "a copy in flight", e: copying, live: "copying 3f2a9c0d1e2b  350 B / 700 B  175 B/s" },
        {
            name: "a copy done",
            e: { ...copying, bytes: 700, done: true, seconds: 2 },
            live: "copied layer 3f2a9c0d1e2b: 700 B in 2.0 s (350 B/s)",
        },
        {
            name: "a copy the target had",
            e: { ...copying, bytes: 700, done: true, seconds: 0, skipped: "exists" },
            live: "layer 3f2a9c0d1e2b already in the registry (700 B)",
        },
        {
            name: "a copy mounted on the same registry",
            e: { ...copying, bytes: 700, done: true, seconds: 0, skipped: "mounted" },
            live: "layer 3f2a9c0d1e2b mounted from the source repository (700 B)",
        },
        {
            name: "an upload the registry had",
            e: { ...events[3], skipped: "exists" },
            live: "layer 3f2a9c0d1e2b already in the registry (700 B)",
        },
    ];
    for (const r of rows) {
        it(`${r.name}: exact line`, () => {
            assert.strictEqual(layerLiveLine(r.e, 2), r.live);
            if (r.e.done) assert.strictEqual(layerDoneLine(r.e), r.live);
        });
    }

    it("off a TTY: one line per layer once done, nothing per chunk", () => {
        const c = capture(false);
        const r = layerReporter(c.io, { json: false });
        events.forEach(r.onLayer);
        r.done();
        assert.deepStrictEqual(c.err, [
            "image-release: compressed layer 3f2a9c0d1e2b (linux/amd64): 1.5 KiB -> 700 B in 0.3 s\n",
            "image-release: pushed layer 3f2a9c0d1e2b: 700 B in 2.0 s (350 B/s)\n",
        ]);
    });

    it("--json: one JSON event per finished layer on stderr, even on a TTY", () => {
        const c = capture(true);
        const r = layerReporter(c.io, { json: true });
        events.forEach(r.onLayer);
        assert.deepStrictEqual(
            c.err.map((l) => JSON.parse(l) as unknown),
            [events[1], events[3]].map((e) => ({ event: "layer", ...e })),
        );
        assert.deepStrictEqual(c.raw, []);
    });

    it("on a TTY: live lines redrawn in place, finished lines left behind, cleared at the end", () => {
        const c = capture(true);
        const r = layerReporter(c.io, { json: false });
        r.onLayer(events[0]);
        r.onLayer(events[1]);
        r.done();
        assert.deepStrictEqual(c.raw, [
            "compressing abc/layer.tar (linux/amd64)  1.0 KiB\n",
            "\x1b[1F\x1b[Jimage-release: compressed layer 3f2a9c0d1e2b (linux/amd64): 1.5 KiB -> 700 B in 0.3 s\n",
        ]);
        assert.deepStrictEqual(c.err, []);
    });
});
