import * as path from "path";
import { gitShowMany, runGit } from "../release";
import { HISTORY_FIELDS, rowOf } from "./keys";
import { PROJECT } from "./model";
import { parseStackConfigText } from "./read";

/** One image's pin in a revision, each key as that revision wrote it. */
export interface HistoryImage {
    digest?: string;
    version?: string;
    gitSha?: string;
    promotedFrom?: string;
    repository?: string;
    sourceRepository?: string;
}

export interface StackHistoryEntry extends HistoryImage {
    commit: string;
    shortCommit: string;
    date: string;
    author: string;
    message: string;
    /**
     * A revision that pinned a set (`image-release:images`): each image, by name. The single-image
     * fields then hold the first image by name, as the stack's config does.
     */
    images?: Record<string, HistoryImage>;
}

/** Under the failsafe schema a scalar is its source text; a list or map in its place shows as JSON. */
function scalar(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

function isMap(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The history fields of one image; a digest that is not a string pinned nothing. */
function imageOf(get: (key: string) => unknown): HistoryImage {
    const out: Record<string, string> = {};
    for (const key of HISTORY_FIELDS) {
        const v = get(key);
        if (v === undefined || (rowOf(key)?.pin === "set" && typeof v !== "string")) continue;
        out[key] = scalar(v);
    }
    return out;
}

/** What a revision's config pinned: the single-image keys, or each image of the set. */
export function pinOf(
    config: Record<string, unknown>,
): Pick<StackHistoryEntry, keyof HistoryImage | "images"> {
    const set = config[`${PROJECT}:images`];
    if (!isMap(set)) return imageOf((key) => config[`${PROJECT}:${key}`]);
    const images: Record<string, HistoryImage> = {};
    for (const name of Object.keys(set).sort()) {
        const member = set[name];
        if (isMap(member)) images[name] = imageOf((key) => member[key]);
    }
    const first = Object.keys(images)[0];
    return { ...(first !== undefined ? images[first] : {}), images };
}

/**
 * Every commit that touched the stack file, newest first, with the pin it held after that commit: the
 * history of HEAD, or of `ref` (what the file had run up to that commit).
 */
export function stackFileHistory(repoRoot: string, file: string, ref?: string): StackHistoryEntry[] {
    const rel = path.relative(repoRoot, path.resolve(file));
    let log: string;
    try {
        const from = ref !== undefined ? [ref] : [];
        log = runGit(repoRoot, ["log", "--format=%H%x1f%cI%x1f%an%x1f%s%x1e", ...from, "--", rel]);
    } catch {
        return [];
    }
    const records = log
        .split("\x1e")
        .map((rec) => rec.trim())
        .filter((rec) => rec !== "")
        .map((rec) => rec.split("\x1f"));
    // `./`: relative to repoRoot, which may be a project inside the git repository (examples/shop).
    let texts: (string | undefined)[];
    try {
        texts = gitShowMany(
            repoRoot,
            records.map(([commit]) => `${commit}:./${rel}`),
        );
    } catch {
        texts = records.map(() => undefined);
    }
    const entries: StackHistoryEntry[] = [];
    for (const [i, [commit, date, author, message]] of records.entries()) {
        let config: Record<string, unknown> = {};
        try {
            // Strings for every scalar, as Pulumi reads config.
            const text = texts[i];
            if (text !== undefined) config = parseStackConfigText(rel, text);
        } catch {
            // A malformed revision still appears in history, without a pin.
        }
        const when = new Date(date).toISOString();
        entries.push({
            commit,
            shortCommit: commit.slice(0, 7),
            date: when,
            author,
            message,
            ...pinOf(config),
        });
    }
    return entries;
}

/**
 * Why the stack file's history cannot be read in full, if it cannot: `stackFileHistory` reads what git
 * has, which is nothing outside a repository or for an untracked file, and a shallow clone's last commits.
 */
export function historyProblem(repoRoot: string, file: string): string | undefined {
    const rel = path.relative(repoRoot, path.resolve(file));
    let shallow: string;
    try {
        shallow = runGit(repoRoot, ["rev-parse", "--is-shallow-repository"]).trim();
    } catch {
        return `${repoRoot} is not a git repository`;
    }
    if (shallow === "true") return "the clone is shallow (git fetch --unshallow)";
    let last = "";
    try {
        last = runGit(repoRoot, ["log", "-1", "--format=%H", "--", rel]).trim();
    } catch {
        // A repository without a commit yet.
    }
    return last === "" ? "no commit holds it (commit it first)" : undefined;
}

/** Distinct digests, newest first, keeping the first (newest) entry for each. */
export function distinctDigests(entries: StackHistoryEntry[]): StackHistoryEntry[] {
    const seen = new Set<string>();
    const out: StackHistoryEntry[] = [];
    for (const e of entries) {
        if (!e.digest || seen.has(e.digest)) continue;
        seen.add(e.digest);
        out.push(e);
    }
    return out;
}
