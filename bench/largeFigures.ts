import { Figure } from "./measure";
import { benchLargeImages, LargeImageResult, ToolRun } from "./largeImage";

/*
 * The large-image figures (8a-8d at each size) and the side-by-side table the closing note
 * asks for: peak RSS and wall time of ours, naive docker and buildah at each size, from one run.
 */

const GiB = 1024 ** 3;
const MB = 1e6;
const mb = (b: number): string => `${(b / MB).toFixed(0)} MB`;
const sizeOf = (r: LargeImageResult): string => `${(r.bytes / GiB).toFixed(2)} GiB`;

/** `seconds s, RSS MB (engine MB)`: a tool's cell of the table. */
function cell(run: { seconds: number; maxRssBytes: number; engineRssBytes?: number } | undefined): string {
    if (!run) return "did not run";
    const engine = run.engineRssBytes !== undefined ? ` (dockerd ${mb(run.engineRssBytes)})` : "";
    return `${run.seconds.toFixed(1)} s, ${mb(run.maxRssBytes)}${engine}`;
}

function loadText(load: number[]): string {
    const sorted = [...load].sort((a, b) => a - b);
    return `${sorted[0].toFixed(2)}-${sorted[sorted.length - 1].toFixed(2)} (median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)}, n=${load.length})`;
}

function vsPeer(
    r: LargeImageResult,
    figure: { id: string; n: string; what: string },
    peer: ToolRun,
    goal?: number,
): Figure {
    const ratio = r.ours.seconds / peer.seconds;
    const steps = Object.entries(peer.steps)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(" + ");
    return {
        id: `large.${figure.id}.${sizeOf(r).replace(" ", "")}`,
        name: `${figure.n} ${sizeOf(r)} image: ${figure.what}`,
        value: ratio,
        display: `${ratio.toFixed(2)}x`,
        goal: goal !== undefined ? `<= ${goal.toFixed(1)}x` : "reported",
        ...(goal !== undefined ? { pass: ratio <= goal } : {}),
        detail:
            `ours ${cell(r.ours)} (with SBOM and signature) vs ${cell(peer)} {${steps}}; peak RSS is each ` +
            `tool's own process; dockerd (shared, with its embedded BuildKit) builds for ours and for docker`,
    };
}

export function largeImageFigures(r: LargeImageResult): Figure[] {
    const size = sizeOf(r);
    const key = size.replace(" ", "");
    const out: Figure[] = [
        {
            id: `large.releaseRss.${key}`,
            name: `8a ${size} image: release peak RSS (SBOM + signature included)`,
            value: r.ours.maxRssBytes,
            display: mb(r.ours.maxRssBytes),
            goal: "<= 512 MB",
            pass: r.ours.maxRssBytes <= 512 * MB,
            detail: `release ${r.ours.seconds.toFixed(1)} s, ${r.ours.digest}; load average ${loadText(r.load)}`,
        },
        {
            id: `large.copyRss.${key}`,
            name: `8b ${size} image: promote across registries, peak RSS`,
            value: r.copy.maxRssBytes,
            display: mb(r.copy.maxRssBytes),
            goal: "<= 256 MB",
            pass: r.copy.maxRssBytes <= 256 * MB,
            detail: `copy ${r.copy.seconds.toFixed(1)} s, ${r.copy.bytesCopied} B streamed`,
        },
    ];
    if (r.buildah)
        out.push(
            vsPeer(
                r,
                { id: "vsBuildah", n: "8c", what: "release wall / buildah build + push" },
                r.buildah,
                1.0,
            ),
        );
    else if (r.buildahFailure) out.push(failed(r, "8c", "buildah", r.buildahFailure));
    if (r.docker)
        out.push(
            vsPeer(
                r,
                { id: "vsDocker", n: "8d", what: "release wall / naive docker build + push" },
                r.docker,
            ),
        );
    else if (r.dockerFailure) out.push(failed(r, "8d", "naive docker", r.dockerFailure));
    return out;
}

function failed(r: LargeImageResult, n: string, tool: string, why: string): Figure {
    return {
        id: `large.${tool.replace(" ", "")}.${sizeOf(r).replace(" ", "")}`,
        name: `${n} ${sizeOf(r)} image: ${tool}`,
        value: NaN,
        display: "ERROR",
        goal: "-",
        pass: false,
        detail: `cannot run here: ${why}`,
    };
}

/** The closing note's table: one row per size, wall and peak RSS of each tool, from this run. */
export function largeImageTable(rs: LargeImageResult[]): string {
    const head = [
        "image",
        "ours: release",
        "naive docker",
        "buildah",
        "ours: promote (copy)",
        "load average",
    ];
    const rows = rs.map((r) => [
        sizeOf(r),
        cell(r.ours),
        cell(r.docker),
        cell(r.buildah),
        cell(r.copy),
        loadText(r.load),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
    const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    return [
        "8  large images, wall and peak RSS from one run (ours with SBOM and signature; RSS is the tool's own process, dockerd's beside it):",
        line(head),
        `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
        ...rows.map(line),
    ].join("\n");
}

/** `--large 0.1,1,4`: sizes in GiB, comma-separated; each must be a positive number. */
export function largeSizes(text: string | undefined): number[] {
    const parts = (text ?? "").split(",");
    const bad = parts.filter((p) => !(Number(p) > 0));
    if (text === undefined || bad.length > 0) {
        throw new Error(`--large needs sizes in GiB, comma-separated (e.g. 0.1,1,4), got "${text ?? ""}"`);
    }
    return parts.map((p) => Math.round(Number(p) * GiB));
}

if (require.main === module) {
    benchLargeImages(largeSizes(process.argv[2] ?? "4")).then(
        (rs) => {
            for (const f of rs.flatMap(largeImageFigures))
                console.log(`${f.name}: ${f.display} (goal ${f.goal})\n    ${f.detail}`);
            console.log(largeImageTable(rs));
            console.log(JSON.stringify(rs));
        },
        (e: Error) => {
            console.error(`bench: ${e.stack ?? e.message}`);
            process.exitCode = 1;
        },
    );
}
