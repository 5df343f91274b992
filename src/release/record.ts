import { ReleaseRuleError } from "./errors";
import { isDigest } from "./reference";

/** What every stack exports as `release`, and what `.image-release/outputs/<stack>.json` holds. */
export interface ReleaseRecord {
    repository: string;
    version: string;
    digest: string;
    ref: string;
    tags: string[];
    platforms: string[];
    platformDigests: Record<string, string>;
    gitSha: string;
    sourceStack: string;
}

function show(v: unknown): string {
    return typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
}

/** The file is written by hand or by `pulumi stack output`, so every field is checked before use. */
export function validateReleaseRecord(x: unknown, source: string): ReleaseRecord {
    if (typeof x !== "object" || x === null || Array.isArray(x)) {
        throw new ReleaseRuleError(`${source}: release record must be a JSON object (got ${show(x)})`);
    }
    const r = x as Record<string, unknown>;
    const problems: string[] = [];
    const bad = (field: string, problem: string) =>
        problems.push(`${source}: release record field "${field}": ${problem} (got "${show(r[field])}")`);
    for (const field of ["repository", "version", "ref", "gitSha", "sourceStack"]) {
        if (typeof r[field] !== "string" || r[field] === "") {
            bad(field, "expected a non-empty string");
        }
    }
    if (typeof r.digest !== "string" || !isDigest(r.digest)) {
        bad("digest", "expected sha256:<64 hex>");
    }
    for (const field of ["tags", "platforms"]) {
        const v = r[field];
        if (!Array.isArray(v) || !v.every((t) => typeof t === "string")) {
            bad(field, "expected a list of strings");
        }
    }
    const pd = r.platformDigests;
    if (
        typeof pd !== "object" ||
        pd === null ||
        Array.isArray(pd) ||
        !Object.values(pd).every((d) => typeof d === "string" && isDigest(d))
    ) {
        bad("platformDigests", "expected a map of platform to sha256:<64 hex>");
    }
    if (problems.length === 0 && r.ref !== `${String(r.repository)}@${String(r.digest)}`) {
        bad("ref", `expected ${String(r.repository)}@${String(r.digest)}`);
    }
    if (problems.length > 0) {
        throw new ReleaseRuleError(problems.join("\n"));
    }
    return {
        repository: r.repository as string,
        version: r.version as string,
        digest: r.digest as string,
        ref: r.ref as string,
        tags: r.tags as string[],
        platforms: r.platforms as string[],
        platformDigests: pd as Record<string, string>,
        gitSha: r.gitSha as string,
        sourceStack: r.sourceStack as string,
    };
}
