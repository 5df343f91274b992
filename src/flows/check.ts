import { ClusterPin } from "../release";
import { ROLLOUT_DEFAULTS, StackImageConfig } from "../stackconfig";
import { clusterObjects, kubectlCli, KubectlFn } from "./clusterState";
import { ApiGetFn, httpProblem, proxyPath, stackApiGet } from "./httpCheck";
import { Refusal } from "./refusal";
import { rolloutProblems } from "./rolloutCheck";
import { loadStack, StackOptions } from "./stack";

export interface CheckOptions extends StackOptions {
    stack: string;
}

export interface CheckDeps {
    kubectl?: KubectlFn;
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
}

/** How often a check looks again while it waits for the cluster. */
const POLL_MS = 2000;

/** Runs `look` until it finds nothing wrong or the time is up; the last look's problems are the answer. */
async function until(
    name: string,
    timeoutSeconds: number,
    look: () => Promise<string[]>,
    d: Required<Pick<CheckDeps, "now" | "sleep">>,
): Promise<CheckOutcome> {
    const start = d.now();
    let problems: string[] = [];
    for (;;) {
        try {
            problems = await look();
        } catch (e) {
            problems = [(e as Error).message];
        }
        const seconds = (d.now() - start) / 1000;
        if (problems.length === 0) return { check: name, ok: true, problems, seconds };
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

/**
 * The stack's checks after `pulumi up`, each bounded by its timeout: `rollout` (always: the cluster's
 * own view of every workload that runs a pin) and each `http` check of `image-release:checks`. Every
 * failure names the check, the resource and what was observed.
 */
export async function check(o: CheckOptions, deps: CheckDeps = {}): Promise<CheckResult> {
    const s = loadStack(o, o.stack);
    const pins = checkedPins(s);
    const kubectl = deps.kubectl ?? kubectlCli;
    const d = {
        now: deps.now ?? (() => Date.now()),
        sleep: deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    };
    const cfg = s.checks ?? { rollout: ROLLOUT_DEFAULTS, http: [] };
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
    const get = cfg.http.length > 0 ? (deps.apiGet ?? (await stackApiGet(s, kubectl))) : undefined;
    for (const c of cfg.http) {
        const look = async () => {
            const answer = await (get as ApiGetFn)(proxyPath(s.namespace, c), c.timeoutSeconds * 1000);
            const problem = httpProblem(c, answer);
            return problem === undefined ? [] : [problem];
        };
        outcomes.push(await until(`http ${c.name}`, c.timeoutSeconds, look, d));
    }
    return {
        stack: s.stack,
        ok: outcomes.every((x) => x.ok),
        pins: pins.map((p) => ({ image: p.image, repository: p.repository, digest: p.digest })),
        checks: outcomes,
    };
}
