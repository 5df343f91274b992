import { RegistryClient } from "../registry";
import { ClusterPin, humanSeconds } from "../release";
import type { SigningKey } from "../signing";
import { ChecksConfig, ROLLOUT_DEFAULTS, StackImageConfig } from "../stackconfig";
import { clusterObjects, kubectlCli, KubectlFn } from "./clusterState";
import { RecordedEvidence, recordVerification } from "./evidence";
import { ApiGetFn, httpProblem, proxyPath, stackApiGet } from "./httpCheck";
import { jobPin, jobProblems, startJob } from "./jobCheck";
import { Refusal } from "./refusal";
import { AutoRollback, rollbackAfterFailure } from "./autoRollback";
import { UpFn } from "./automation";
import { rejectNewPins } from "./reject";
import { rolloutProblems } from "./rolloutCheck";
import { loadStack, StackOptions } from "./stack";

export interface CheckOptions extends StackOptions {
    stack: string;
    /** Signs the run's evidence (a pass or a failure) into each pin's `.att`; without it nothing is signed. */
    verifierKey?: SigningKey;
    /** Seconds `check` may wait for the soak to end, running the checks again when it can. */
    waitSeconds?: number;
    /**
     * `reject`: a failed run also signs a rejection of each pin this stack never verified. `rollback`:
     * that, then the rollback to the newest earlier pin this stack verified (branch, commit, PR body),
     * `pulumi up` from it, and the checks again.
     */
    onFailure?: "reject" | "rollback";
}

export interface CheckDeps {
    kubectl?: KubectlFn;
    /** Where evidence and rejections are written; default: a client with the environment's credentials. */
    client?: RegistryClient;
    /** `--on-failure rollback`'s `pulumi up`; default: the Automation API. */
    up?: UpFn;
    /** GETs through the API server; default: the stack's kubeconfig (`stackApiGet`). */
    apiGet?: ApiGetFn;
    /** Milliseconds since the epoch; and a pause between polls. Tests give their own. */
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
}

/** One check's outcome: what it judged, and what was wrong when it failed. */
export interface CheckOutcome {
    check: string;
    ok: boolean;
    /** Each problem the last look saw, naming the resource and what was observed. */
    problems: string[];
    seconds: number;
}

export interface CheckResult {
    stack: string;
    ok: boolean;
    /** The pins the checks judged, by image. */
    pins: { image: string; repository: string; digest: string }[];
    checks: CheckOutcome[];
    /** The signed evidence of the last run, when a verifier key was given. */
    evidence?: RecordedEvidence;
    /** `--on-failure reject`: each digest the failed run rejected, and where the rejection was written. */
    rejected?: { image: string; digest: string; ref: string }[];
    /** How many times the checks ran (more than once while `--wait` waited for the soak). */
    runs: number;
    /** `--on-failure rollback`: what the rollback did, and the checks of what it deployed. */
    autoRollback?: AutoRollback & { after?: CheckResult };
}

/** How often a check looks again while it waits for the cluster. */
const POLL_MS = 2000;

/**
 * Runs `look` until it finds nothing wrong or the time is up; the last look's problems are the answer.
 * A look that says its answer is final (a failed Job) ends the wait at once.
 */
async function until(
    name: string,
    timeoutSeconds: number,
    look: () => Promise<string[] | { problems: string[]; final: boolean }>,
    d: Required<Pick<CheckDeps, "now" | "sleep">>,
): Promise<CheckOutcome> {
    const start = d.now();
    let problems: string[] = [];
    for (;;) {
        let final = false;
        try {
            const seen = await look();
            ({ problems, final } = Array.isArray(seen) ? { problems: seen, final: false } : seen);
        } catch (e) {
            problems = [(e as Error).message];
        }
        const seconds = (d.now() - start) / 1000;
        if (problems.length === 0) return { check: name, ok: true, problems, seconds };
        if (final) return { check: name, ok: false, problems, seconds };
        if (seconds >= timeoutSeconds) {
            return {
                check: name,
                ok: false,
                problems: problems.map((p) => `${p} (after ${timeoutSeconds}s)`),
                seconds,
            };
        }
        await d.sleep(Math.min(POLL_MS, Math.max(0, timeoutSeconds * 1000 - (d.now() - start))));
    }
}

/** The stack's pins: every image must have a digest (check judges what `pulumi up` deployed). */
function checkedPins(s: StackImageConfig): ClusterPin[] {
    const missing = Object.keys(s.images).filter((n) => s.images[n].digest === undefined);
    if (missing.length > 0) {
        throw new Refusal(
            `stack "${s.stack}" pins no digest for ${missing.join(", ")}; check judges a stack that pins every image (staging, prod)`,
        );
    }
    return Object.keys(s.images)
        .sort()
        .map((image) => ({
            image,
            repository: s.images[image].repository,
            digest: s.images[image].digest as string,
        }));
}

/** One run of every check of the stack, each bounded by its timeout. */
async function runChecks(
    s: StackImageConfig,
    pins: ClusterPin[],
    cfg: ChecksConfig,
    kubectl: KubectlFn,
    d: Required<Pick<CheckDeps, "now" | "sleep">> & { apiGet?: ApiGetFn },
): Promise<CheckOutcome[]> {
    const allow = s.allowImages ?? [];
    const outcomes: CheckOutcome[] = [];
    outcomes.push(
        await until(
            "rollout",
            cfg.rollout.timeoutSeconds,
            async () =>
                rolloutProblems(await clusterObjects(s, kubectl), pins, allow, cfg.rollout.maxRestarts),
            d,
        ),
    );
    const get = cfg.http.length > 0 ? (d.apiGet ?? (await stackApiGet(s, kubectl))) : undefined;
    for (const c of cfg.http) {
        const look = async () => {
            const answer = await (get as ApiGetFn)(proxyPath(s.namespace, c), c.timeoutSeconds * 1000);
            const problem = httpProblem(c, answer);
            return problem === undefined ? [] : [problem];
        };
        outcomes.push(await until(`http ${c.name}`, c.timeoutSeconds, look, d));
    }
    for (const c of cfg.job) {
        const pin = jobPin(s, c, pins);
        let name: string | undefined;
        const look = async () => {
            name ??= await startJob(s, c, pin, kubectl);
            return jobProblems(s, name, kubectl);
        };
        outcomes.push(await until(`job ${c.name}`, c.timeoutSeconds, look, d));
    }
    return outcomes;
}

/** What the evidence says each check saw: its problems, or for a pass what it judged. */
function observed(c: CheckOutcome, s: StackImageConfig): string[] {
    if (!c.ok) return c.problems;
    if (c.check === "rollout")
        return [`every workload of namespace ${s.namespace} ready on its pinned digest`];
    const http = s.checks?.http.find((h) => `http ${h.name}` === c.check);
    if (http) return [`GET ${http.service}:${http.port}${http.path} answered ${http.status}`];
    const job = s.checks?.job.find((j) => `job ${j.name}` === c.check);
    return job ? [`Job ${job.name} (args ${JSON.stringify(job.args)}) succeeded`] : [];
}

/**
 * The stack's checks after `pulumi up`, each bounded by its timeout: `rollout` (always: the cluster's
 * own view of every workload that runs a pin) and each `http` check of `image-release:checks`. Every
 * failure names the check, the resource and what was observed. With a verifier key the run signs its
 * evidence; `waitSeconds` lets it wait for the soak (never longer), `onFailure` reject the new pins.
 */
export async function check(o: CheckOptions, deps: CheckDeps = {}): Promise<CheckResult> {
    const s = loadStack(o, o.stack);
    const pins = checkedPins(s);
    const kubectl = deps.kubectl ?? kubectlCli;
    const d = {
        now: deps.now ?? (() => Date.now()),
        sleep: deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
        ...(deps.apiGet ? { apiGet: deps.apiGet } : {}),
    };
    if ((o.waitSeconds !== undefined || o.onFailure !== undefined) && o.verifierKey === undefined) {
        throw new Refusal(
            `${o.waitSeconds !== undefined ? "--wait" : "--on-failure"} needs a verifier key to sign with: set IMAGE_RELEASE_VERIFIER_KEY`,
        );
    }
    const cfg = s.checks ?? { rollout: ROLLOUT_DEFAULTS, http: [], job: [], soakSeconds: 0 };
    const client = deps.client ?? new RegistryClient();
    const deadline = d.now() + (o.waitSeconds ?? 0) * 1000;
    const pinList = pins.map((p) => ({ image: p.image, repository: p.repository, digest: p.digest }));
    for (let runs = 1; ; runs++) {
        const outcomes = await runChecks(s, pins, cfg, kubectl, d);
        const ok = outcomes.every((x) => x.ok);
        const result: CheckResult = { stack: s.stack, ok, pins: pinList, checks: outcomes, runs };
        if (o.verifierKey === undefined) return result;
        const checks = outcomes.map((c) => ({
            check: c.check,
            ok: c.ok,
            seconds: c.seconds,
            observed: observed(c, s),
        }));
        const key = o.verifierKey;
        // Read before this run's evidence replaces the last: which pins this stack verified before.
        const rejected =
            !ok && o.onFailure !== undefined
                ? await rejectNewPins(s, pinList, failureReason(s, outcomes), { client, key, now: d.now })
                : undefined;
        const evidence = await recordVerification(
            { stack: s, pins: pinList, ok, checks },
            { client, key, kubectl, now: d.now },
        );
        if (!ok) {
            const failed = { ...result, evidence, ...(rejected ? { rejected } : {}) };
            return o.onFailure === "rollback"
                ? { ...failed, autoRollback: await rollBack(o, s, key, { ...deps, client }) }
                : failed;
        }
        const left = evidence.soak?.leftSeconds ?? 0;
        if (evidence.soak?.over !== false || d.now() + left * 1000 > deadline) return { ...result, evidence };
        // The soak ends within --wait: look again once it can have ended.
        await d.sleep(left * 1000);
    }
}

/** `--on-failure rollback` after the rejection: the rollback, its `up`, and the checks of what it deployed. */
async function rollBack(
    o: CheckOptions,
    s: StackImageConfig,
    key: SigningKey,
    deps: CheckDeps & { client: RegistryClient },
): Promise<AutoRollback & { after?: CheckResult }> {
    const client = deps.client;
    const repositories = Object.fromEntries(Object.entries(s.images).map(([n, i]) => [n, i.repository]));
    const where = { stacksDir: o.stacksDir, repoRoot: o.repoRoot, stack: o.stack, repositories };
    const done = await rollbackAfterFailure(where, key, {
        client,
        ...(deps.up ? { up: deps.up } : {}),
    });
    if (done.up !== "succeeded") return done;
    // The checkout is on the rollback branch now: its stack file pins what `up` deployed.
    const again: CheckOptions = {
        stacksDir: o.stacksDir,
        repoRoot: o.repoRoot,
        stack: o.stack,
        verifierKey: key,
    };
    return { ...done, after: await check(again, deps) };
}

/** A failed run's rejection reason: each failed check and what it saw, within a reason's 500 characters. */
function failureReason(s: StackImageConfig, outcomes: CheckOutcome[]): string {
    const reason = `check failed in "${s.stack}": ${failedChecks(outcomes)}`.replace(/[\x00-\x1f\x7f]/g, " ");
    return reason.length > 500 ? `${reason.slice(0, 497)}...` : reason;
}

/** Each failed check and what it saw, on one line: `rollout: …; http ready: …`. */
export function failedChecks(outcomes: CheckOutcome[]): string {
    return outcomes
        .filter((c) => !c.ok)
        .map((c) => `${c.check}: ${c.problems.join("; ")}`)
        .join("; ");
}

/** The line `check` prints about its soak. */
export function soakLine(r: CheckResult): string | undefined {
    const soak = r.evidence?.soak;
    if (soak === undefined) return undefined;
    if (soak.over)
        return `soak over: passed for ${humanSeconds(soak.soakedSeconds)} (asked: ${humanSeconds(soak.requiredSeconds)})`;
    return `soak not over: ${humanSeconds(soak.soakedSeconds)} of ${humanSeconds(soak.requiredSeconds)}, ${humanSeconds(soak.leftSeconds)} left; run check again then`;
}
