import { ReleaseRuleError } from "./errors";

/**
 * The evidence `image-release check` signs about a digest, and the rejections a verifier signs: in-toto
 * statements in the digest's `.att`, with predicate types of our own. The rules here are pure: what a
 * statement says, which one is current, whether a soak is over and how much of it is left.
 */
export const VERIFICATION_PREDICATE = "https://image-release.dev/verification/v1";
export const REJECTION_PREDICATE = "https://image-release.dev/rejection/v1";

/** One check of a run, as the evidence records it. */
export interface CheckedOutcome {
    check: string;
    ok: boolean;
    seconds: number;
    /** What the check saw: its problems when it failed, what it judged when it passed. */
    observed: string[];
}

/** A member of the verified combination: the image's repository and digest, by the set's image name. */
export interface VerifiedMember {
    repository: string;
    digest: string;
}

/** The verification predicate: one stack's checks of one combination of digests, on one cluster. */
export interface VerificationPredicate {
    stack: string;
    /** The kube-system namespace's UID: the cluster the checks judged. */
    cluster: string;
    /** Every image of the stack's set, by name: the combination that ran together. */
    members: Record<string, VerifiedMember>;
    result: "passed" | "failed";
    checks: CheckedOutcome[];
    /** A passed run's window: the first and the last passing run of this combination (RFC 3339). */
    firstPassed?: string;
    lastPassed?: string;
    /** A failed run's time; a failure starts the soak again. */
    failedAt?: string;
    /** The soak the stack's checks ask for (`image-release:checks.soakSeconds`), 0 when none. */
    soakSeconds: number;
}

/** A rejection (or, with `lifted`, the lift of one) of a digest, with its reason. */
export interface RejectionPredicate {
    digest: string;
    lifted: boolean;
    reason: string;
    /** The stack it was judged in, when a check (or a user naming one) wrote it. */
    stack?: string;
    at: string;
    /** `check` when a failed check wrote it, else `user`. */
    by: "check" | "user";
}

/** A signed statement as a reader sees it: what it says, and the trusted key that signed it. */
export interface Signed<T> {
    keyId: string;
    predicate: T;
}

/** The member map's identity: names and digests, in name order. */
export function combinationKey(members: Record<string, VerifiedMember>): string {
    return Object.keys(members)
        .sort()
        .map((n) => `${n}=${members[n].digest}`)
        .join(",");
}

/** Whether an earlier statement is about the same stack, cluster and combination (and so is replaced). */
type Subject = Pick<VerificationPredicate, "stack" | "cluster" | "members">;

export function sameSubject(a: Subject, b: Subject): boolean {
    return (
        a.stack === b.stack &&
        a.cluster === b.cluster &&
        combinationKey(a.members) === combinationKey(b.members)
    );
}

/**
 * The statement a run writes: a pass continues the window of the previous passing run of the same
 * subject (so the soak counts from the first pass), a pass after a failure (or none) starts a new one.
 */
export function nextVerification(
    run: Omit<VerificationPredicate, "firstPassed" | "lastPassed" | "failedAt">,
    now: Date,
    previous?: VerificationPredicate,
): VerificationPredicate {
    const at = now.toISOString();
    if (run.result === "failed") return { ...run, failedAt: at };
    const continues = previous !== undefined && sameSubject(previous, run) && previous.result === "passed";
    return { ...run, firstPassed: continues ? (previous.firstPassed ?? at) : at, lastPassed: at };
}

/** Whole seconds, as a person reads them: `1h 2m 3s`, `45s`. */
export function humanSeconds(total: number): string {
    const s = Math.max(0, Math.ceil(total));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const parts = [h > 0 ? `${h}h` : "", m > 0 ? `${m}m` : "", s % 60 > 0 || s === 0 ? `${s % 60}s` : ""];
    return parts.filter((p) => p !== "").join(" ");
}

function time(iso: string | undefined, what: string): number {
    const t = iso === undefined ? NaN : Date.parse(iso);
    if (Number.isNaN(t))
        throw new ReleaseRuleError(`verification evidence has no valid ${what}: ${String(iso)}`);
    return t;
}

/** Where a passed run's soak stands: over, or how long until it can be. */
export interface SoakState {
    over: boolean;
    /** The soak asked for: the larger of what the evidence recorded and what the target requires. */
    requiredSeconds: number;
    /** How long the combination has passed, first to last passing run. */
    soakedSeconds: number;
    /** Seconds until a passing run may close it (0: a check run now closes it). */
    leftSeconds: number;
}

export function soakState(p: VerificationPredicate, now: Date, minimumSeconds = 0): SoakState {
    const first = time(p.firstPassed, "firstPassed");
    const last = time(p.lastPassed, "lastPassed");
    const requiredSeconds = Math.max(p.soakSeconds, minimumSeconds);
    const soakedSeconds = Math.max(0, (last - first) / 1000);
    const over = soakedSeconds >= requiredSeconds;
    const leftSeconds = over ? 0 : Math.max(0, requiredSeconds - (now.getTime() - first) / 1000);
    return { over, requiredSeconds, soakedSeconds, leftSeconds };
}

/** When a passed run's soak can be over: its first passing time plus the soak asked for (RFC 3339). */
export function soakEndsAt(p: VerificationPredicate, minimumSeconds = 0): string {
    const first = time(p.firstPassed, "firstPassed");
    return new Date(first + Math.max(p.soakSeconds, minimumSeconds) * 1000).toISOString();
}

/** The soak's line for a refusal or a report. */
export function soakSummary(s: SoakState, stack: string): string {
    if (s.over) return `soaked ${humanSeconds(s.soakedSeconds)} of ${humanSeconds(s.requiredSeconds)}`;
    if (s.leftSeconds > 0) {
        return `its soak in "${stack}" is not over: ${humanSeconds(s.soakedSeconds)} of ${humanSeconds(s.requiredSeconds)} passed, ${humanSeconds(s.leftSeconds)} left`;
    }
    return `its soak time in "${stack}" has passed but no check recorded it (${humanSeconds(s.soakedSeconds)} of ${humanSeconds(s.requiredSeconds)} recorded): run \`image-release check --stack ${stack}\``;
}

/**
 * The rejection that stands for a digest: the latest statement (by its time, then by order) of those
 * trusted keys signed; undefined when there is none or the latest is a lift.
 */
export function standingRejection(
    statements: Signed<RejectionPredicate>[],
): Signed<RejectionPredicate> | undefined {
    let latest: Signed<RejectionPredicate> | undefined;
    for (const s of statements) {
        if (latest === undefined || Date.parse(s.predicate.at) >= Date.parse(latest.predicate.at)) latest = s;
    }
    return latest !== undefined && !latest.predicate.lifted ? latest : undefined;
}

/** One line for a standing rejection: the digest, who signed it, when and why. */
export function rejectionSummary(r: Signed<RejectionPredicate>): string {
    const where = r.predicate.stack !== undefined ? ` in "${r.predicate.stack}"` : "";
    return `digest ${r.predicate.digest} was rejected${where} at ${r.predicate.at} by verifier key ${r.keyId} (${r.predicate.by}): ${r.predicate.reason}`;
}

/** A reason a person can read in one line: printable, 1-500 characters. */
export function reasonProblem(reason: string): string | undefined {
    if (reason.trim() === "") return "a reason is required";
    if (reason.length > 500) return `at most 500 characters, not ${reason.length}`;
    if (/[\x00-\x1f\x7f]/.test(reason)) return "one line of printable text";
    return undefined;
}
