import { ReleaseRuleError } from "./errors";
import { GitError, runGit } from "./git";
import { isGitSha } from "./reference";

export interface OciLabelInput {
    title?: string;
    description?: string;
    url?: string;
    source?: string;
    version?: string;
    /** Git commit sha, 7-40 hex. */
    revision?: string;
    /** Seconds since the epoch (SOURCE_DATE_EPOCH), so the same commit always gives the same labels. */
    created: number;
    licenses?: string;
    extra?: Record<string, string>;
}

const PREFIX = "org.opencontainers.image.";

/** RFC 3339 UTC without milliseconds, the form the OCI annotation spec shows. */
export function rfc3339(epochSeconds: number): string {
    return new Date(epochSeconds * 1000).toISOString().replace(/\.000Z$/, "Z");
}

export function ociLabels(o: OciLabelInput): Record<string, string> {
    if (!Number.isSafeInteger(o.created) || o.created < 0) {
        throw new ReleaseRuleError(
            `created ${String(o.created)} is not a non-negative integer of epoch seconds`,
        );
    }
    if (o.revision !== undefined && !isGitSha(o.revision)) {
        throw new ReleaseRuleError(`revision "${o.revision}" is not a 7-40 character lowercase hex git sha`);
    }
    const labels: Record<string, string> = {};
    const set = (key: string, value: string | undefined) => {
        if (value !== undefined) {
            labels[PREFIX + key] = value;
        }
    };
    set("title", o.title);
    set("description", o.description);
    set("url", o.url);
    set("source", o.source);
    set("version", o.version);
    set("revision", o.revision);
    set("created", rfc3339(o.created));
    set("licenses", o.licenses);
    for (const [key, value] of Object.entries(o.extra ?? {})) {
        // The standard labels are derived from the commit; letting extras replace them breaks reproducibility.
        if (key in labels) {
            throw new ReleaseRuleError(`extra label "${key}" would override a computed OCI label`);
        }
        labels[key] = value;
    }
    return labels;
}

/**
 * SOURCE_DATE_EPOCH (reproducible-builds.org) wins over the commit time; an empty value counts as unset
 * because CI systems often export the variable empty.
 */
export function sourceDateEpoch(env: Record<string, string | undefined>, commitTime: number): number {
    const raw = env.SOURCE_DATE_EPOCH;
    if (raw !== undefined && raw !== "") {
        if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
            throw new ReleaseRuleError(
                `SOURCE_DATE_EPOCH "${raw}" is not a non-negative integer of epoch seconds`,
            );
        }
        return Number(raw);
    }
    if (!Number.isSafeInteger(commitTime) || commitTime < 0) {
        throw new ReleaseRuleError(
            `commit time ${String(commitTime)} is not a non-negative integer of epoch seconds`,
        );
    }
    return commitTime;
}

export interface GitCommitInfo {
    sha: string;
    shortSha: string;
    /** Committer time, epoch seconds. */
    commitTime: number;
}

export function gitCommitInfo(dir: string): GitCommitInfo {
    return newestCommit(dir, []);
}

/**
 * The newest commit that changed anything under `dir`: what a build of `dir` is a build of. A commit
 * elsewhere in the repository (a promotion's stack-file change) leaves it, and so the image's
 * revision, created time, git- tag and digest, as they were.
 */
export function contextCommitInfo(dir: string): GitCommitInfo {
    return newestCommit(dir, ["--", "."]);
}

function newestCommit(dir: string, pathspec: string[]): GitCommitInfo {
    let out: string;
    try {
        out = runGit(dir, ["log", "-1", "--format=%H%x00%ct", ...pathspec]);
    } catch (e) {
        throw new ReleaseRuleError(`${dir} is not a git repository with a commit: ${(e as GitError).reason}`);
    }
    if (out.trim() === "") {
        throw new ReleaseRuleError(`${dir} has no committed files: commit the build context first`);
    }
    const [sha, time] = out.trim().split("\0");
    return { sha, shortSha: sha.slice(0, 7), commitTime: Number(time) };
}
