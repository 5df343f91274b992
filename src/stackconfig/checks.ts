import { Scope } from "./scope";

/** The rollout check: the cluster's own view of every workload that runs a pinned image. */
export interface RolloutCheck {
    /** How long the rollout may take to be ready on the pins. */
    timeoutSeconds: number;
    /** Restarts a container of a pinned image may have had; more fails the check. */
    maxRestarts: number;
}

/** An HTTP check: a path on a Service of the stack's namespace, through the API server's proxy. */
export interface HttpCheck {
    name: string;
    service: string;
    port: number;
    path: string;
    /** The status the answer must have. */
    status: number;
    /** A regular expression the body must match. */
    body?: string;
    timeoutSeconds: number;
}

/** A smoke-test Job: the pinned digest of one image run with `args`, which must succeed in time. */
export interface JobCheck {
    name: string;
    /** The set member whose pin it runs; default the stack's first image by name. */
    image?: string;
    /** The container's args (its image's entrypoint stays). */
    args: string[];
    timeoutSeconds: number;
}

/** `image-release:checks`: what `image-release check --stack <stack>` runs after `pulumi up`. */
export interface ChecksConfig {
    rollout: RolloutCheck;
    http: HttpCheck[];
    job: JobCheck[];
    /**
     * The soak: how long the combination must keep passing, from its first to its last passing run,
     * before a stack that requires verification takes it. 0: one passing run is enough.
     */
    soakSeconds: number;
}

export const ROLLOUT_DEFAULTS: RolloutCheck = { timeoutSeconds: 300, maxRestarts: 0 };
const HTTP_DEFAULTS = { status: 200, timeoutSeconds: 10 };

function isMap(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A whole number in [min, max], written as a number or (as the engine hands it over) a string. */
function integer(raw: unknown, min: number, max: number): number | undefined {
    const n = typeof raw === "string" && /^[0-9]+$/.test(raw) ? Number(raw) : raw;
    return typeof n === "number" && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/** Reads the known keys of one map, each with its rule; unknown keys and bad values are problems. */
function fields<T extends object>(
    scope: Scope,
    where: string,
    raw: unknown,
    rules: Record<string, { read: (v: unknown) => unknown; expect: string }>,
    defaults: Partial<T>,
): T | undefined {
    if (!isMap(raw)) {
        scope.bad(where, `expected a map with ${Object.keys(rules).join(", ")}`, raw);
        return undefined;
    }
    const out: Record<string, unknown> = { ...defaults };
    let ok = true;
    for (const k of Object.keys(raw)) {
        if (!(k in rules)) {
            scope.bad(`${where}.${k}`, `unknown key (known: ${Object.keys(rules).join(", ")})`, raw[k]);
            ok = false;
            continue;
        }
        const v = rules[k].read(raw[k]);
        if (v === undefined) {
            scope.bad(`${where}.${k}`, rules[k].expect, raw[k]);
            ok = false;
        } else out[k] = v;
    }
    return ok ? (out as T) : undefined;
}

const label = (v: unknown) =>
    typeof v === "string" && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v) ? v : undefined;

function regexp(v: unknown): string | undefined {
    if (typeof v !== "string" || v === "") return undefined;
    try {
        new RegExp(v);
        return v;
    } catch {
        return undefined;
    }
}

const ROLLOUT_RULES = {
    timeoutSeconds: { read: (v: unknown) => integer(v, 1, 3600), expect: "expected whole seconds, 1-3600" },
    maxRestarts: { read: (v: unknown) => integer(v, 0, 1000), expect: "expected a whole number, 0-1000" },
};

const HTTP_RULES = {
    name: { read: label, expect: "expected a name: lowercase alphanumerics or -" },
    service: { read: label, expect: "expected a Service name of the stack's namespace" },
    port: { read: (v: unknown) => integer(v, 1, 65535), expect: "expected a port, 1-65535" },
    path: {
        read: (v: unknown) =>
            typeof v === "string" && v.startsWith("/") && !/[\s?#]/.test(v) ? v : undefined,
        expect: "expected a path starting with / (no spaces, query or fragment)",
    },
    status: { read: (v: unknown) => integer(v, 100, 599), expect: "expected an HTTP status, 100-599" },
    body: { read: regexp, expect: "expected a regular expression" },
    timeoutSeconds: { read: (v: unknown) => integer(v, 1, 300), expect: "expected whole seconds, 1-300" },
};

const JOB_RULES = {
    name: { read: label, expect: "expected a name: lowercase alphanumerics or -" },
    image: { read: label, expect: "expected the name of one of the stack's images" },
    args: {
        read: (v: unknown) => (Array.isArray(v) && v.every((a) => typeof a === "string") ? v : undefined),
        expect: "expected a list of strings",
    },
    timeoutSeconds: { read: (v: unknown) => integer(v, 1, 3600), expect: "expected whole seconds, 1-3600" },
};

/** A list of named checks, each read with its rules and its required keys; names are unique. */
function namedChecks<T extends { name: string }>(
    scope: Scope,
    where: string,
    raw: unknown,
    rules: Record<string, { read: (v: unknown) => unknown; expect: string }>,
    defaults: Partial<T>,
    required: string[],
): T[] | undefined {
    if (!Array.isArray(raw) || raw.length === 0) {
        scope.bad(where, `expected a list of checks (${required.join(", ")})`, raw);
        return undefined;
    }
    const out: T[] = [];
    for (const [i, c] of raw.entries()) {
        const at = `${where}[${i}]`;
        const read = fields<T>(scope, at, c, rules, defaults);
        if (read === undefined) continue;
        const missing = required.filter((k) => (read as unknown as Record<string, unknown>)[k] === undefined);
        if (missing.length > 0) scope.bad(at, `required: ${missing.join(", ")}`, c);
        else if (out.some((o) => o.name === read.name))
            scope.bad(`${at}.name`, "used by another check", read.name);
        else out.push(read);
    }
    return out.length === raw.length ? out : undefined;
}

function httpChecks(scope: Scope, key: string, raw: unknown): HttpCheck[] | undefined {
    return namedChecks<HttpCheck>(scope, `${key}.http`, raw, HTTP_RULES, HTTP_DEFAULTS, [
        "name",
        "service",
        "port",
        "path",
    ]);
}

/**
 * Reads `image-release:checks`: `rollout` (always run, with defaults), optional `http` checks, and the
 * soak (`soakSeconds`, default 0).
 */
export function checks(raw: unknown, scope: Scope, key: string): ChecksConfig | undefined {
    const top = fields<{ rollout?: unknown; http?: unknown; job?: unknown; soakSeconds?: number }>(
        scope,
        key,
        raw,
        {
            rollout: { read: (v) => v, expect: "" },
            http: { read: (v) => v, expect: "" },
            job: { read: (v) => v, expect: "" },
            soakSeconds: {
                read: (v) => integer(v, 0, 30 * 24 * 3600),
                expect: "expected whole seconds, 0-2592000 (30 days)",
            },
        },
        {},
    );
    if (top === undefined) return undefined;
    const rollout =
        top.rollout === undefined
            ? { ...ROLLOUT_DEFAULTS }
            : fields<RolloutCheck>(scope, `${key}.rollout`, top.rollout, ROLLOUT_RULES, ROLLOUT_DEFAULTS);
    const http = top.http === undefined ? [] : httpChecks(scope, key, top.http);
    const job =
        top.job === undefined
            ? []
            : namedChecks<JobCheck>(
                  scope,
                  `${key}.job`,
                  top.job,
                  JOB_RULES,
                  { args: [], timeoutSeconds: 120 },
                  ["name"],
              );
    const soakSeconds = top.soakSeconds ?? 0;
    return rollout !== undefined && http !== undefined && job !== undefined
        ? { rollout, http, job, soakSeconds }
        : undefined;
}
