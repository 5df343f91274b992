import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Credential, RegistryClient } from "../src/registry";
import { benchCrossPromote, benchRepromote } from "./crossPromote";
import { crossPromoteFigures, repromoteFigure } from "./crossPromoteFigures";
import { promoteFigures, releaseFigures, releasePeerFigures, setFigures, statusFigures } from "./figures";
import { benchFreshRunner, freshRunnerFigures } from "./freshRunner";
import { deleteRepoManifests, errorFigure, Figure, log, seconds } from "./measure";
import { largeImageFigures, largeImageTable, largeSizes } from "./largeFigures";
import { benchLargeImages, LargeImageResult } from "./largeImage";
import { benchManyFiles, manyFilesFigures } from "./manyFiles";
import { writeContext } from "./payload";
import { benchPromote, removeLocal } from "./promote";
import { benchRelease, ReleaseBenchResult } from "./release";
import { benchPulumiOverhead, overheadFigures } from "./pulumiOverhead";
import { benchReleasePeers } from "./releasePeers";
import { benchSets } from "./sets";
import { benchStatus } from "./status";

/** The htpasswd registry's credential as scripts/local-up.sh wrote it; its defaults otherwise. */
function localAuthCredential(): Credential {
    const state = process.env.IMAGE_RELEASE_STATE_DIR ?? "/var/tmp/image-release-local";
    try {
        const [username, password] = fs
            .readFileSync(path.join(state, "registry-5001", "credentials"), "utf8")
            .split("\n");
        if (username && password) return { username, password };
    } catch {
        // local-up.sh not run with this state dir: fall back to its defaults.
    }
    return {
        username: process.env.IMAGE_RELEASE_TEST_USER ?? "imagerelease",
        password: process.env.IMAGE_RELEASE_TEST_PASSWORD ?? "local-only-password",
    };
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

/**
 * `--large <GiB>[,<GiB>...]`: add the large-image figures (8a-8d) at each size, one after the other,
 * and their side-by-side table; it needs about 6x the largest size in free disk while it runs, so it
 * is not part of the default run. `npm run bench -- --large 0.1,1,4` for the closing note.
 */
function largeImageSizes(): number[] | undefined {
    const i = process.argv.indexOf("--large");
    return i < 0 ? undefined : largeSizes(process.argv[i + 1]);
}

/**
 * The figure groups `--only` names: 1-3, 4, 5, 6, 7, 8 (with --large), 9, 10 and 10a/b (with
 * --many-files), and `repromote`: 7d alone, with each side's requests (7 holds 7d too).
 */
const GROUPS = [
    "release",
    "status",
    "pulumi",
    "peers",
    "copy",
    "large",
    "sets",
    "freshRunner",
    "manyFiles",
    "repromote",
] as const;

/**
 * `--only <group,...>`: run just these groups (default: every group but repromote, which copy holds;
 * large and manyFiles need their flag).
 */
function onlyGroups(): (group: string) => boolean {
    const i = process.argv.indexOf("--only");
    if (i < 0) return (g) => g !== "repromote";
    const asked = (process.argv[i + 1] ?? "").split(",");
    const bad = asked.filter((g) => !(GROUPS as readonly string[]).includes(g));
    if (bad.length > 0 || asked.length === 0) {
        throw new Error(
            `--only takes groups among ${GROUPS.join(", ")}, comma-separated; got "${process.argv[i + 1] ?? ""}"`,
        );
    }
    return (g) => asked.includes(g);
}

/** One group of figures: what it measures, and the row that stands for it when it fails. */
interface Group {
    name: (typeof GROUPS)[number];
    error: [id: string, name: string];
    run: () => Promise<void>;
}

async function main(): Promise<number> {
    const json = process.argv.includes("--json");
    const want = onlyGroups();
    const large = largeImageSizes();
    const start = process.hrtime.bigint();
    const client = new RegistryClient({ retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 500 } });
    const run = randomBytes(4).toString("hex");
    const repoPrefix = `127.0.0.1:5000/bench/promote-${run}`;
    const tmpDirs: string[] = [];
    const figures: Figure[] = [];
    const raw: Record<string, unknown> = {};
    let release: ReleaseBenchResult | undefined;
    let largeResults: LargeImageResult[] = [];
    const groups: Group[] = [
        {
            name: "release",
            error: ["release", "2/3 release"],
            run: async () => {
                log("writing a 2 x 50 MiB context");
                const context = writeContext();
                tmpDirs.push(context);
                release = await benchRelease(client, context, repoPrefix, tmpDirs);
                figures.push(...releaseFigures(release));
                const { release: published, ...rest } = release;
                raw.release = {
                    ...rest,
                    digest: published.digest,
                    platformDigests: published.platformDigests,
                };
                try {
                    log(`promotion: retag vs bare vs docker on ${release.multiRepo}@${published.digest}`);
                    const p = await benchPromote(client, release.multiRepo, published.digest);
                    figures.unshift(...promoteFigures(p));
                    raw.promote = p;
                } catch (e) {
                    figures.unshift(errorFigure("promote", "1  promote", e));
                }
            },
        },
        {
            name: "status",
            error: ["status", "4  status"],
            run: async () => {
                log("status: 50 services x 3 stacks");
                const x = await benchStatus(client);
                figures.push(...statusFigures(x));
                raw.status = x;
            },
        },
        {
            name: "freshRunner",
            error: ["freshRunner", "10 fresh runner"],
            run: async () => {
                log("fresh runner: a second CI runner with an empty cache releases the same commit");
                const f = await benchFreshRunner(client);
                figures.push(...freshRunnerFigures(f));
                raw.freshRunner = f;
            },
        },
        {
            name: "sets",
            error: ["sets", "9  sets of 1, 4 and 16 images"],
            run: async () => {
                log("sets: release, promote and status of 1, 4 and 16 images");
                const x = await benchSets(client);
                figures.push(...setFigures(x));
                raw.sets = x;
            },
        },
        {
            name: "pulumi",
            error: ["pulumi", "5  no-op pulumi up overhead"],
            run: async () => {
                const x = await benchPulumiOverhead(path.join(__dirname, ".."));
                figures.push(...overheadFigures(x));
                raw.pulumiOverhead = x;
            },
        },
        {
            name: "peers",
            error: ["releasePeers", "6  release vs peers"],
            run: async () => {
                log(
                    "release: ours vs buildah vs the naive docker pipeline, fresh 2 x 50 MiB context per run",
                );
                const x = await benchReleasePeers(client, `127.0.0.1:5000/bench/peers-${run}`);
                figures.push(...releasePeerFigures(x));
                raw.releasePeers = x;
            },
        },
        ...(large !== undefined
            ? [
                  {
                      name: "large",
                      error: ["large", "8  large image"],
                      run: async () => {
                          largeResults = await benchLargeImages(large);
                          figures.push(...largeResults.flatMap(largeImageFigures));
                          raw.largeImage = largeResults;
                      },
                  } satisfies Group,
              ]
            : []),
        // ~80 s on 2 CPUs, most of it the engine taking a 100,000-file context: opt-in like --large.
        ...(process.argv.includes("--many-files")
            ? [
                  {
                      name: "manyFiles",
                      error: ["manyFiles", "10 100,000-file image"],
                      run: async () => {
                          const m = await benchManyFiles();
                          figures.push(...manyFilesFigures(m));
                          raw.manyFiles = m;
                      },
                  } satisfies Group,
              ]
            : []),
        {
            name: "copy",
            error: ["crossPromote", "7  copy between repositories"],
            run: async () => {
                const x = await benchCrossPromote(localAuthCredential());
                figures.push(...crossPromoteFigures(x));
                raw.crossPromote = x;
            },
        },
        {
            name: "repromote",
            error: ["repromote", "7d re-promote"],
            run: async () => {
                const r = await benchRepromote(localAuthCredential());
                figures.push(repromoteFigure(r));
                raw.repromote = r;
            },
        },
    ];
    try {
        for (const g of groups.filter((x) => want(x.name))) {
            try {
                await g.run();
            } catch (e) {
                figures.push(errorFigure(g.error[0], g.error[1], e));
            }
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
        if (largeResults.length > 0) console.log(`\n${largeImageTable(largeResults)}`);
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
