import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { Transform } from "stream";
import { run } from "../../src/cli";
import { Io } from "../../src/cli/context";
import { RegistryClient } from "../../src/registry";
import { commitAll, readStack as read, stackPath } from "../fixtures/cli/repo";
import { prodMovedWithNext, repoWithProdElsewhere } from "../fixtures/cli/scenarios";
import { startProxy, TestProxy } from "../fixtures/registry/proxy";
import {
    AUTH_CREDS,
    LayeredImage,
    LOCAL,
    LOCAL_AUTH,
    pushLayeredImage,
    pushTestImage,
    uniqueRepo,
} from "../fixtures/registry/testImage";

/*
 * `promote` into another repository shows each layer it copies: one line per layer off a TTY, one
 * JSON event per layer under --json, live redrawn lines on a TTY. Configs and the index's manifests
 * are not layers; a layer that arrives without its bytes (mounted, or already there) says so.
 */

const LAYER = 1024 * 1024;
const retry = { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 };
const authed = new RegistryClient({ credentials: { [LOCAL_AUTH]: AUTH_CREDS }, retry });
const PLACEHOLDER = `sha256:${"4".repeat(64)}`;
const CLEAR = /^\x1b\[(\d+)F\x1b\[J/;

interface Scenario {
    dir: string;
    img: LayeredImage;
    stagingRepo: string;
    prodRepo: string;
    /** The image's three layers (one shared by both platforms, one own each), digests sorted. */
    layers: string[];
}

/** staging (on 5000, or reached through `via`) runs a fresh layered image; prod pulls from `target`. */
async function scenario(seed: string, target: string, via?: TestProxy): Promise<Scenario> {
    const stagingRepo = uniqueRepo(LOCAL, "progress-staging");
    const prodRepo = uniqueRepo(target, "progress-prod");
    const img = await pushLayeredImage(authed, stagingRepo, seed, LAYER);
    const stackRepo = via ? stagingRepo.replace(LOCAL, via.registry) : stagingRepo;
    const dir = repoWithProdElsewhere(stackRepo, prodRepo, PLACEHOLDER);
    fs.writeFileSync(stackPath(dir, "staging"), read(dir, "staging").replace(PLACEHOLDER, img.indexDigest));
    commitAll(dir, "staging runs the layered image", 3);
    const layers = img.blobs
        .filter((b) => b.size === LAYER)
        .map((b) => b.digest)
        .sort();
    return { dir, img, stagingRepo, prodRepo, layers };
}

function capture(tty: boolean): { io: Io; out: string[]; err: string[]; raw: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    const raw: string[] = [];
    const io: Io = {
        out: (s) => out.push(s),
        err: (s) => err.push(s),
        ...(tty ? { tty: { write: (s: string) => raw.push(s), columns: 100 } } : {}),
    };
    return { io, out, err, raw };
}

async function promote(s: Scenario, io: Io, extra: string[] = []): Promise<number> {
    const args = ["promote", "--from", "staging", "--to", "prod", "--repo-root", s.dir, ...extra];
    return run(args, io, { client: authed });
}

const short = (d: string): string => d.slice("sha256:".length, "sha256:".length + 12);
/** The one part of a done line that depends on the clock. */
const untimed = (line: string): string =>
    line.replace(/ in \d+\.\d s \((?:\d+(?:\.\d)? (?:B|KiB|MiB|GiB)\/s|-)\)$/, " in <t>");

describe("cli promote and rollback show per-layer copy progress @integration", () => {
    const rows: {
        name: string;
        target: string;
        /** Blobs the target has before the promote. */
        before?: (s: Scenario) => Promise<void>;
        line: (digest: string) => string;
    }[] = [
        {
            name: "across registries (5000 -> 5001): one `copied` line per layer",
            target: LOCAL_AUTH,
            line: (d) => `image-release: copied layer ${short(d)}: 1.0 MiB in <t>`,
        },
        {
            name: "same registry: each layer mounted, no bytes",
            target: LOCAL,
            line: (d) => `image-release: layer ${short(d)} mounted from the source repository (1.0 MiB)`,
        },
        {
            name: "a target that already has the layers: each one `already in the registry`",
            target: LOCAL_AUTH,
            before: async (s) => {
                for (const b of s.img.blobs) await authed.copyBlob(s.stagingRepo, s.prodRepo, b);
            },
            line: (d) => `image-release: layer ${short(d)} already in the registry (1.0 MiB)`,
        },
    ];
    for (const r of rows) {
        it(`off a TTY, ${r.name}; nothing per chunk`, async () => {
            const s = await scenario(`progress-${r.target}-${r.name.length}`, r.target);
            await r.before?.(s);
            const c = capture(false);
            assert.strictEqual(await promote(s, c.io), 0, c.err.join(""));
            assert.deepStrictEqual(
                c.err.map((l) => untimed(l.replace(/\n$/, ""))).sort(),
                s.layers.map(r.line).sort(),
            );
            assert.strictEqual(
                (await authed.headManifest(s.prodRepo, s.img.indexDigest))?.digest,
                s.img.indexDigest,
            );
        });
    }

    it("rollback that copies the earlier digest back into prod's registry: one `copied` line per layer", async () => {
        // History: prod ran the layered image from staging's repository, then moved to 5001 with another.
        const stagingRepo = uniqueRepo(LOCAL, "progress-staging");
        const prodRepo = uniqueRepo(LOCAL_AUTH, "progress-rollback");
        const old = await pushLayeredImage(authed, stagingRepo, "progress-rollback", LAYER);
        const next = await pushTestImage(authed, stagingRepo, "progress-next");
        const dir = await prodMovedWithNext(authed, stagingRepo, prodRepo, old.indexDigest, next.indexDigest);
        const c = capture(false);
        const code = await run(["rollback", "--stack", "prod", "--repo-root", dir], c.io, { client: authed });
        assert.strictEqual(code, 0, c.err.join(""));
        const layers = old.blobs.filter((b) => b.size === LAYER).map((b) => b.digest);
        assert.deepStrictEqual(
            c.err.map((l) => untimed(l.replace(/\n$/, ""))).sort(),
            layers.map((d) => `image-release: copied layer ${short(d)}: 1.0 MiB in <t>`).sort(),
        );
        assert.strictEqual((await authed.headManifest(prodRepo, old.indexDigest))?.digest, old.indexDigest);
    });

    it("--json: one JSON layer event per copied layer on stderr, stdout only the result", async () => {
        const s = await scenario("progress-json", LOCAL_AUTH);
        const c = capture(true);
        assert.strictEqual(await promote(s, c.io, ["--json"]), 0, c.err.join(""));
        const events = c.err.map((l) => JSON.parse(l) as Record<string, unknown>);
        for (const e of events) assert.strictEqual(typeof e.seconds, "number", JSON.stringify(e));
        assert.deepStrictEqual(
            events
                .map(({ seconds: _s, ...e }) => e)
                .sort((a, b) => String(a.layer).localeCompare(String(b.layer))),
            s.layers.map((layer) => ({
                event: "layer",
                platform: "",
                layer,
                phase: "copy",
                bytes: LAYER,
                total: LAYER,
                done: true,
            })),
        );
        assert.deepStrictEqual(c.raw, []);
        assert.strictEqual((JSON.parse(c.out.join("")) as { written: boolean }).written, true);
    });

    it("on a TTY: live `copying` lines redrawn in place as bytes move, each layer's done line left behind", async () => {
        // The source's blob replies are slowed (40 ms a chunk), so each layer is in flight for several redraws.
        const proxy = await startProxy((req, res, forward) => {
            if (req.method !== "GET" || !(req.url ?? "").includes("/blobs/sha256:")) return forward();
            const headers = { ...req.headers, host: LOCAL };
            const up = http.get({ host: "127.0.0.1", port: 5000, path: req.url, headers }, (upRes) => {
                res.writeHead(upRes.statusCode ?? 502, upRes.headers);
                const slow = new Transform({
                    transform: (chunk: Buffer, _e, done) => setTimeout(() => done(null, chunk), 40),
                });
                upRes.pipe(slow).pipe(res);
            });
            up.on("error", () => res.destroy());
        });
        try {
            const s = await scenario("progress-tty", LOCAL_AUTH, proxy);
            const c = capture(true);
            assert.strictEqual(await promote(s, c.io), 0, c.err.join(""));
            assert.deepStrictEqual(c.err, []);
            const screen = replay(c.raw);
            assert.deepStrictEqual(
                screen.lines.map(untimed).sort(),
                s.layers.map((d) => `image-release: copied layer ${short(d)}: 1.0 MiB in <t>`).sort(),
            );
            const names = s.layers.map(short).join("|");
            const live = new RegExp(
                `^copying (${names})  (\\d+(?:\\.\\d)? (?:B|KiB|MiB)) / 1\\.0 MiB(?:  \\d+(?:\\.\\d)? (?:B|KiB|MiB)/s)?$`,
            );
            for (const l of screen.live) assert.match(l, live);
            // Redrawn while the bytes move: some frame shows a layer part way.
            assert.ok(screen.frames >= 2, `${screen.frames} live frames`);
            assert.ok(
                screen.live.some((l) => !/  0 B \/|  1\.0 MiB \//.test(l)),
                `no partial layer in ${JSON.stringify(screen.live)}`,
            );
        } finally {
            await proxy.close();
        }
    });
});

/**
 * Plays the raw TTY writes on a model screen: a clear (`ESC[nF ESC[J`) must erase exactly the live
 * lines last drawn. Returns what stays on screen, every live line drawn, and how many frames drew any.
 */
function replay(writes: string[]): { lines: string[]; live: string[]; frames: number } {
    const lines: string[] = [];
    const live: string[] = [];
    let drawn = 0;
    let frames = 0;
    for (const w of writes) {
        const m = CLEAR.exec(w);
        assert.strictEqual(
            m ? Number(m[1]) : 0,
            drawn,
            `write ${JSON.stringify(w)} after ${drawn} live lines`,
        );
        lines.splice(lines.length - drawn, drawn);
        const body = m ? w.slice(m[0].length) : w;
        const written = body === "" ? [] : body.replace(/\n$/, "").split("\n");
        const finished = written.filter((l) => l.startsWith("image-release: "));
        const fresh = written.slice(finished.length);
        assert.deepStrictEqual(
            written.slice(0, finished.length),
            finished,
            "done lines come before live ones",
        );
        lines.push(...written);
        live.push(...fresh);
        drawn = fresh.length;
        if (fresh.length > 0) frames++;
    }
    assert.strictEqual(drawn, 0, "live lines left on screen at the end");
    return { lines, live, frames };
}
