import { showValue } from "./display";
import { ReleaseRuleError } from "./errors";
import { isStackName, repositoryProblem, STACK_NAME } from "./names";
import { isPlatformName } from "./platforms";
import { isDigest, isGitSha, isTag } from "./reference";
import { isSemver } from "./version";

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

/**
 * The stack file's own rule for each string field: a record's values reach the target stack file,
 * a branch name and a printed command, so each is held to what the stack file itself would accept.
 */
const STRING_RULES: Record<string, (v: string) => string | undefined> = {
    repository: repositoryProblem,
    version: (v) => (isSemver(v) ? undefined : "not a semver version"),
    ref: () => undefined,
    gitSha: (v) => (isGitSha(v) ? undefined : "expected 7-40 lowercase hex chars"),
    sourceStack: (v) => (isStackName(v) ? undefined : `expected a stack name matching ${STACK_NAME.source}`),
};

/** Each list's element rule, and how a bad element is explained. */
const LIST_RULES: Record<string, [(v: string) => boolean, string]> = {
    tags: [isTag, "expected OCI tags matching [\\w][\\w.-]{0,127}"],
    platforms: [isPlatformName, "expected os/arch[/variant] such as linux/amd64"],
};

function isPlatformDigests(pd: unknown): pd is Record<string, string> {
    return (
        typeof pd === "object" &&
        pd !== null &&
        !Array.isArray(pd) &&
        Object.entries(pd).every(([p, d]) => isPlatformName(p) && typeof d === "string" && isDigest(d))
    );
}

/** Every problem of a record that is a JSON object, one line each. */
function recordProblems(r: Record<string, unknown>, source: string): string[] {
    const problems: string[] = [];
    const bad = (field: string, problem: string, value: unknown = r[field]) =>
        problems.push(`${source}: release record field "${field}": ${problem} (got "${showValue(value)}")`);
    for (const [field, rule] of Object.entries(STRING_RULES)) {
        const v = r[field];
        const problem = typeof v !== "string" || v === "" ? "expected a non-empty string" : rule(v);
        if (problem !== undefined) bad(field, problem);
    }
    if (typeof r.digest !== "string" || !isDigest(r.digest)) {
        bad("digest", "expected sha256:<64 hex>");
    }
    for (const [field, [ok, problem]] of Object.entries(LIST_RULES)) {
        const v = r[field];
        if (!Array.isArray(v) || !v.every((t) => typeof t === "string")) {
            bad(field, "expected a list of strings");
        } else {
            for (const t of v.filter((x) => !ok(x))) bad(field, problem, t);
        }
    }
    if (!isPlatformDigests(r.platformDigests)) {
        bad("platformDigests", "expected a map of platform to sha256:<64 hex>");
    }
    if (problems.length === 0 && r.ref !== `${String(r.repository)}@${String(r.digest)}`) {
        bad("ref", `expected ${String(r.repository)}@${String(r.digest)}`);
    }
    return problems;
}

/** The file is written by hand or by `pulumi stack output`, so every field is checked before use. */
export function validateReleaseRecord(x: unknown, source: string): ReleaseRecord {
    if (typeof x !== "object" || x === null || Array.isArray(x)) {
        throw new ReleaseRuleError(`${source}: release record must be a JSON object (got ${showValue(x)})`);
    }
    const r = x as Record<string, unknown>;
    const problems = recordProblems(r, source);
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
        platformDigests: r.platformDigests as Record<string, string>,
        gitSha: r.gitSha as string,
        sourceStack: r.sourceStack as string,
    };
}
