import * as http from "http";
import { kubectl } from "./harness";

/** One answer of the example server: status, body, and how long it took. */
export interface Answer {
    /** Milliseconds since the load started (when it was sent). */
    at: number;
    status: number;
    ms: number;
    /** The `version` the server answered, or the error's words. */
    version?: string;
    error?: string;
}

/** `http://<ClusterIP>:<port>/` of the Service `name` in `ns`: kube-proxy answers it on this machine. */
export function serviceUrl(ns: string, name: string): string {
    const svc = JSON.parse(kubectl(["get", "service", name, "-n", ns, "-o", "json"])) as {
        spec: { clusterIP: string; ports: { port: number }[] };
    };
    return `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}/`;
}

/**
 * One GET on a connection of its own (no keep-alive: each request meets kube-proxy's rules as they are
 * now, as a new client would), given up after `timeoutMs`.
 */
export function getOnce(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on("error", reject);
    });
}

/**
 * GET `url` until it answers 200 (a Service's rules follow its Pods' readiness: the EndpointSlice, then
 * kube-proxy's next sync), then its JSON body. Fails with the last error after 30 s.
 */
export async function answer(url: string): Promise<Record<string, string>> {
    let last = "";
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
        try {
            const r = await getOnce(url, 5000);
            if (r.status === 200) return JSON.parse(r.body) as Record<string, string>;
            last = `HTTP ${r.status}: ${r.body.trim()}`;
        } catch (e) {
            last = (e as Error).message;
        }
        await new Promise((res) => setTimeout(res, 250));
    }
    throw new Error(`GET ${url}: ${last}`);
}

/**
 * A bounded client: `perSecond` GETs a second, each on its own connection with a `timeoutMs` limit,
 * until `stop()`, which resolves to every answer in the order they were sent.
 */
export function load(url: string, perSecond: number, timeoutMs: number): { stop: () => Promise<Answer[]> } {
    const started = Date.now();
    const pending: Promise<Answer>[] = [];
    const one = async (): Promise<Answer> => {
        const at = Date.now() - started;
        const t0 = Date.now();
        try {
            const r = await getOnce(url, timeoutMs);
            const version =
                r.status === 200 ? (JSON.parse(r.body) as { version: string }).version : undefined;
            return { at, status: r.status, ms: Date.now() - t0, ...(version ? { version } : {}) };
        } catch (e) {
            return { at, status: 0, ms: Date.now() - t0, error: (e as Error).message };
        }
    };
    const timer = setInterval(() => pending.push(one()), 1000 / perSecond);
    return {
        stop: async () => {
            clearInterval(timer);
            return Promise.all(pending);
        },
    };
}

/** What a run of the load saw, for the assertions and the closing table. */
export function summary(answers: Answer[]): {
    requests: number;
    failures: Answer[];
    slowest: number;
    /** The versions in the order they answered, each run of equal ones once: ["1.4.2", "1.5.0"]. */
    sequence: string[];
    seconds: number;
} {
    const sequence: string[] = [];
    for (const a of answers) {
        if (a.version !== undefined && sequence[sequence.length - 1] !== a.version) sequence.push(a.version);
    }
    const last = answers[answers.length - 1];
    return {
        requests: answers.length,
        failures: answers.filter((a) => a.status !== 200),
        slowest: Math.max(0, ...answers.map((a) => a.ms)),
        sequence,
        seconds: last === undefined ? 0 : last.at / 1000,
    };
}
