import * as path from "path";
import { runGit } from "../release";
import { parseStackConfigText } from "../stackconfig";

export interface StackHistoryEntry {
    commit: string;
    shortCommit: string;
    date: string;
    author: string;
    message: string;
    digest?: string;
    version?: string;
    gitSha?: string;
    /** The stack this pin was promoted from, as that commit recorded it. */
    promotedFrom?: string;
    /** The stack's repository in that commit, and the repository the pin was copied from, if any. */
    repository?: string;
    sourceRepository?: string;
}

/** Every commit that touched the stack file, newest first, with the pin it held after that commit. */
export function stackFileHistory(repoRoot: string, file: string): StackHistoryEntry[] {
    const rel = path.relative(repoRoot, path.resolve(file));
    let log: string;
    try {
        log = runGit(repoRoot, ["log", "--format=%H%x1f%cI%x1f%an%x1f%s%x1e", "--", rel]);
    } catch {
        return [];
    }
    const entries: StackHistoryEntry[] = [];
    for (const rec of log.split("\x1e")) {
        const line = rec.trim();
        if (!line) continue;
        const [commit, date, author, message] = line.split("\x1f");
        let config: Record<string, unknown> = {};
        try {
            // Strings for every scalar, as Pulumi reads config.
            config = parseStackConfigText(rel, runGit(repoRoot, ["show", `${commit}:${rel}`]));
        } catch {
            // A deleted or malformed revision still appears in history, without a pin.
        }
        const digest = config["image-release:digest"];
        const version = config["image-release:version"];
        const gitSha = config["image-release:gitSha"];
        const promotedFrom = config["image-release:promotedFrom"];
        const repository = config["image-release:repository"];
        const sourceRepository = config["image-release:sourceRepository"];
        entries.push({
            commit,
            shortCommit: commit.slice(0, 7),
            date: new Date(date).toISOString(),
            author,
            message,
            ...(typeof digest === "string" ? { digest } : {}),
            ...(version !== undefined ? { version: scalar(version) } : {}),
            ...(gitSha !== undefined ? { gitSha: scalar(gitSha) } : {}),
            ...(promotedFrom !== undefined ? { promotedFrom: scalar(promotedFrom) } : {}),
            ...(repository !== undefined ? { repository: scalar(repository) } : {}),
            ...(sourceRepository !== undefined ? { sourceRepository: scalar(sourceRepository) } : {}),
        });
    }
    return entries;
}

/** Under the failsafe schema a scalar is its source text; a list or map in its place shows as JSON. */
function scalar(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
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
