import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RegistryClient } from "../src/registry";
import { deleteRepoManifests, Figure, log, median, ms, seconds } from "./measure";
import { writeContext } from "./payload";
import { benchPromote, PromoteBenchResult, removeLocal } from "./promote";
import { benchRelease, ReleaseBenchResult } from "./release";
import { benchPulumiOverhead, OverheadBenchResult } from "./pulumiOverhead";
import { benchStatus, StatusBenchResult } from "./status";

function promoteFigures(p: PromoteBenchResult): Figure[] {
    const transferred = p.dockerTransferred
        ? "layers downloaded every run"
        : "WARNING: a pull reused local layers";
    return [
        {
            id: "promote.retagVsDocker",
            name: "1a promote: docker pull+tag+push / retag",
            value: p.speedup,
            display: `${p.speedup.toFixed(0)}x faster`,
            goal: ">= 50x",
            pass: p.speedup >= 50,
            detail:
                `retag median ${ms(p.retagMedian)} (n=${p.runs.retag}) vs docker median ` +
                `${p.dockerMedian.toFixed(2)} s (n=${p.runs.docker}); docker pulled only ${p.dockerPlatform} ` +
                `(~50 MB of the ~100 MB), so this is generous to docker; ${transferred}`,
        },
        {
            id: "promote.retagVsBare",
            name: "1b promote: retag / bare GET+PUT",
            value: p.overBare,
            display: `${p.overBare.toFixed(2)}x`,
            goal: "<= 1.5x",
            pass: p.overBare <= 1.5,
            detail:
                `retag median ${ms(p.retagMedian)} (HEAD tag + GET + PUT; min ${ms(Math.min(...p.retagSeconds))}) ` +
                `vs bare fetch GET+PUT median ${ms(p.bareMedian)} (n=${p.runs.bare}; min ${ms(Math.min(...p.bareSeconds))})`,
        },
    ];
}

function releaseFigures(r: ReleaseBenchResult): Figure[] {
    const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(2)} MiB`;
    return [
        {
            id: "release.bytesRatio",
            name: "2  layer bytes: 4-tag release / 1-tag push",
            value: r.bytesRatio,
            display: `${r.bytesRatio.toFixed(2)}x`,
            goal: "1.00x",
            pass: r.multiBytes === r.singleBytes,
            detail:
                `[${r.multiTags.join(", ")}] uploaded ${r.multiBytes} B (${mb(r.multiBytes)}); ` +
                `[${r.singleTags.join(", ")}] uploaded ${r.singleBytes} B (${mb(r.singleBytes)})`,
        },
        {
            id: "release.secondBuilds",
            name: "3a unchanged context: engine builds",
            value: r.secondBuilds,
            display: `${r.secondBuilds} builds`,
            goal: "0",
            pass: r.secondBuilds === 0 && !r.secondBuilt && r.secondDigestSame,
            detail:
                `first release ran ${r.firstBuilds} engine builds; second: built=${r.secondBuilt}, ` +
                `same digest=${r.secondDigestSame}`,
        },
        {
            id: "release.timeRatio",
            name: "3b unchanged context: wall time 2nd / 1st",
            value: r.timeRatio,
            display: `${r.timeRatio.toFixed(3)}x`,
            goal: "reported (issue sets no number)",
            detail:
                `second ${ms(r.secondSeconds)} vs first ${r.firstSeconds.toFixed(2)} s ` +
                `(first: 2 builds on a warm BuildKit cache, save, gzip and ~100 MB pushed)`,
        },
    ];
}

function statusFigures(s: StatusBenchResult): Figure[] {
    const shape = `${s.services} services x ${s.stacks} stacks`;
    return [
        {
            id: "status.parallelSeconds",
            name: `4a status ${shape}: parallel`,
            value: s.parallelSeconds,
            display: `${s.parallelSeconds.toFixed(2)} s`,
            goal: "< 2 s",
            pass: s.parallelSeconds < 2,
            detail: `concurrency ${s.concurrency}`,
        },
        {
            id: "status.ratio",
            name: "4b status: sequential / parallel",
            value: s.ratio,
            display: `${s.ratio.toFixed(2)}x`,
            goal: "reported beside parallel",
            detail: `sequential ${s.sequentialSeconds.toFixed(2)} s vs parallel ${s.parallelSeconds.toFixed(2)} s`,
        },
    ];
}

function overheadFigures(o: OverheadBenchResult): Figure[] {
    const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(", ");
    return [
        {
            id: "pulumi.noOpOverhead",
            name: "5  no-op pulumi up: prod / empty program",
            value: o.ratio,
            display: `${o.ratio.toFixed(2)}x`,
            goal: "<= 1.5x",
            pass: o.ratio <= 1.5,
            detail:
                `prod (${o.resources} resources) median ${median(o.prodSeconds).toFixed(2)} s [${list(o.prodSeconds)}] vs ` +
                `empty program median ${median(o.emptySeconds).toFixed(2)} s [${list(o.emptySeconds)}], same engine and backend`,
        },
    ];
}

function verdict(f: Figure): string {
    if (f.display === "ERROR") return "ERROR";
    if (f.pass === undefined) return "INFO";
    return f.pass ? "PASS" : "MISS";
}

function table(figures: Figure[]): string {
    const head = ["figure", "measured", "goal", "result"];
    const rows = figures.map((f) => [f.name, f.display, f.goal, verdict(f)]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
    const out = [line(head), widths.map((w) => "-".repeat(w)).join("  ")];
    for (const [i, r] of rows.entries()) {
        out.push(line(r));
        out.push(`    ${figures[i].detail}`);
    }
    return out.join("\n");
}

function errorFigure(id: string, name: string, e: unknown): Figure {
    return {
        id,
        name,
        value: NaN,
        display: "ERROR",
        goal: "-",
        pass: false,
        detail: (e as Error).message,
    };
}

async function main(): Promise<number> {
    const json = process.argv.includes("--json");
    const start = process.hrtime.bigint();
    const client = new RegistryClient({ retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 500 } });
    const run = randomBytes(4).toString("hex");
    const repoPrefix = `127.0.0.1:5000/bench/promote-${run}`;
    const tmpDirs: string[] = [];
    const figures: Figure[] = [];
    const raw: Record<string, unknown> = {};
    let release: ReleaseBenchResult | undefined;
    try {
        log("writing a 2 x 50 MiB context");
        const context = writeContext();
        tmpDirs.push(context);
        try {
            release = await benchRelease(client, context, repoPrefix, tmpDirs);
            figures.push(...releaseFigures(release));
            const { release: published, ...rest } = release;
            raw.release = { ...rest, digest: published.digest, platformDigests: published.platformDigests };
        } catch (e) {
            figures.push(errorFigure("release", "2/3 release", e));
        }
        if (release) {
            try {
                log(`promotion: retag vs bare vs docker on ${release.multiRepo}@${release.release.digest}`);
                const p = await benchPromote(client, release.multiRepo, release.release.digest);
                figures.unshift(...promoteFigures(p));
                raw.promote = p;
            } catch (e) {
                figures.unshift(errorFigure("promote", "1  promote", e));
            }
        }
        try {
            log("status: 50 services x 3 stacks");
            const s = await benchStatus(client);
            figures.push(...statusFigures(s));
            raw.status = s;
        } catch (e) {
            figures.push(errorFigure("status", "4  status", e));
        }
        try {
            const o = await benchPulumiOverhead(path.join(__dirname, ".."));
            figures.push(...overheadFigures(o));
            raw.pulumiOverhead = o;
        } catch (e) {
            figures.push(errorFigure("pulumi", "5  no-op pulumi up overhead", e));
        }
    } finally {
        for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
        if (release) {
            const pinnedRef = `${release.multiRepo}@${release.release.digest}`;
            await removeLocal([pinnedRef]);
            const r = release.release;
            await deleteRepoManifests(client, release.multiRepo, [
                r.digest,
                ...Object.values(r.platformDigests),
            ]);
            await deleteRepoManifests(client, release.singleRepo, [
                r.digest,
                ...Object.values(r.platformDigests),
            ]);
        }
    }
    const total = seconds(start);
    // Timings on a shared machine swing with its load; the figure beside them says how busy it was.
    const machine = { cpus: os.cpus().length, loadAverage1m: Number(os.loadavg()[0].toFixed(2)) };
    if (json) {
        const out = figures.map((f) => ({ ...f, result: verdict(f) }));
        console.log(JSON.stringify({ totalSeconds: total, machine, figures: out, raw }, null, 2));
    } else {
        console.log(table(figures));
        const counts = ["PASS", "MISS", "INFO", "ERROR"].map(
            (v) => `${figures.filter((f) => verdict(f) === v).length} ${v}`,
        );
        console.log(
            `\n${counts.join(", ")}; whole bench ${total.toFixed(1)} s on ${machine.cpus} CPUs at load ${machine.loadAverage1m} (benches are not tests: MISS exits 0)`,
        );
    }
    return figures.some((f) => verdict(f) === "ERROR") ? 1 : 0;
}

main().then(
    (code) => {
        process.exitCode = code;
    },
    (e: Error) => {
        console.error(`bench: ${e.stack ?? e.message}`);
        process.exitCode = 1;
    },
);
