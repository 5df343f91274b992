import {
    builderAddressProblem,
    CHANNELS,
    configuredSourceProblem,
    isDigest,
    isGitSha,
    isPlatformName,
    isSemver,
    isStackName,
    repositoryProblem,
    showValue,
    STACK_NAME,
} from "../release";
import { rfc1123LabelProblem, TrainingConfig } from "./model";
import { Scope } from "./scope";

/** Reads a present value into its typed form; a problem is reported through `scope` (then the value is moot). */
export type Reader = (raw: unknown, scope: Scope, key: string) => unknown;

export function nonEmptyString(raw: unknown, scope: Scope, key: string): string | undefined {
    if (typeof raw !== "string" || raw === "") {
        scope.bad(key, "expected a non-empty string", raw);
        return undefined;
    }
    return raw;
}

/** A non-empty string that also obeys `rule` (which returns the problem, if any). */
export function stringWith(rule: (value: string, scope: Scope) => string | undefined): Reader {
    return (raw, scope, key) => {
        const v = nonEmptyString(raw, scope, key);
        const problem = v === undefined ? undefined : rule(v, scope);
        if (problem !== undefined) scope.bad(key, problem, v);
        return v;
    };
}

export const repository = stringWith((v, scope) => {
    const problem = repositoryProblem(v);
    return problem === "must be a repository without a tag or digest"
        ? `${problem} (pin with ${scope.label("digest")})`
        : problem;
});

export const digest = stringWith((v) => {
    if (isDigest(v)) return undefined;
    const hex = /^sha256:([0-9a-fA-F]*)$/.exec(v);
    if (hex !== null && hex[1].length === 64) return "expected lowercase hex in sha256:<64 hex>";
    if (hex !== null) return `expected sha256:<64 hex>, but it has ${hex[1].length} hex chars`;
    if (!v.includes(":") || v.startsWith(":")) return "expected a digest sha256:<64 hex>, not a tag";
    return "expected a digest sha256:<64 hex>";
});

// One rule for "is a version" across the project: semver.valid alone also takes "=1.2.3" and " 1.2.3".
export const version = stringWith((v) => (isSemver(v) ? undefined : "not a semver version"));

export const gitSha = stringWith((v) => (isGitSha(v) ? undefined : "expected 7-40 lowercase hex chars"));

export const channel = stringWith((v) =>
    (CHANNELS as readonly string[]).includes(v) ? undefined : `expected one of ${CHANNELS.join(", ")}`,
);

export const stackName = stringWith((v) =>
    isStackName(v) ? undefined : `expected a stack name matching ${STACK_NAME.source}`,
);

// The same rule PinnedDeployment applies, checked here so the error names the file and key.
export const namespace = stringWith((v) => rfc1123LabelProblem(v));

export const source = stringWith((v) => configuredSourceProblem(v));

export function platforms(raw: unknown, scope: Scope, key: string): string[] | undefined {
    if (!Array.isArray(raw) || raw.length === 0) {
        scope.bad(key, "expected a non-empty list of os/arch[/variant]", raw);
        return undefined;
    }
    const out: string[] = [];
    for (const p of raw as unknown[]) {
        if (typeof p !== "string" || !isPlatformName(p)) {
            scope.bad(key, "expected os/arch[/variant] such as linux/amd64", p);
        } else if (out.includes(p)) {
            scope.bad(key, "duplicate platform", p);
        } else {
            out.push(p);
        }
    }
    return out;
}

// Pulumi hands every config scalar to the program as a string, so "true"/"false" are the usual form.
export function boolean(raw: unknown, scope: Scope, key: string): boolean | undefined {
    if (raw === true || raw === "true") return true;
    if (raw === false || raw === "false") return false;
    scope.bad(key, "expected true or false", raw);
    return undefined;
}

/** A whole number of 1 or more; the engine hands a YAML number to the program as its digits. */
export function positiveInteger(raw: unknown, scope: Scope, key: string): number | undefined {
    const text = typeof raw === "number" ? String(raw) : raw;
    if (typeof text === "string" && /^[1-9][0-9]{0,8}$/.test(text)) return Number(text);
    scope.bad(key, "expected a whole number of 1 or more", raw);
    return undefined;
}

function isMap(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function build(
    raw: unknown,
    scope: Scope,
    key: string,
): { context: string; dockerfile: string } | undefined {
    const b = isMap(raw) ? raw : undefined;
    if (b === undefined) {
        scope.bad(key, "expected a map with context and dockerfile", raw);
    } else if (typeof b.context !== "string" || b.context === "") {
        scope.bad(key, "build.context must be a non-empty string", b.context);
    } else if (b.dockerfile !== undefined && (typeof b.dockerfile !== "string" || b.dockerfile === "")) {
        scope.bad(key, "build.dockerfile must be a non-empty string", b.dockerfile);
    } else {
        return {
            context: b.context,
            dockerfile: typeof b.dockerfile === "string" ? b.dockerfile : "Dockerfile",
        };
    }
    return undefined;
}

export function training(raw: unknown, scope: Scope, key: string): TrainingConfig | undefined {
    const t = isMap(raw) ? raw : undefined;
    const extra =
        t === undefined ? [] : Object.keys(t).filter((k) => k !== "datasetVersion" && k !== "command");
    if (t === undefined) {
        scope.bad(key, "expected a map with datasetVersion and optional command", raw);
    } else if (extra.length > 0) {
        scope.bad(key, `unknown key training.${extra[0]} (known: datasetVersion, command)`, raw);
    } else if (typeof t.datasetVersion !== "string" || t.datasetVersion === "") {
        scope.bad(key, "training.datasetVersion must be a non-empty string", t.datasetVersion ?? "");
    } else if (
        t.command !== undefined &&
        (!Array.isArray(t.command) || t.command.some((a) => typeof a !== "string"))
    ) {
        scope.bad(key, "training.command must be a list of strings", t.command);
    } else {
        return {
            datasetVersion: t.datasetVersion,
            ...(t.command !== undefined ? { command: t.command as string[] } : {}),
        };
    }
    return undefined;
}

export function signingKeys(raw: unknown, scope: Scope, key: string): string[] | undefined {
    const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
    if (list.length === 0 || list.some((k) => typeof k !== "string" || k === "")) {
        scope.bad(key, "expected a public key path, or a list of them (key rotation)", raw);
        return undefined;
    }
    return list as string[];
}

/** Third-party repositories a stack's workloads may run besides its own set (each still by digest in staging/prod). */
export function allowImages(raw: unknown, scope: Scope, key: string): string[] | undefined {
    if (!Array.isArray(raw) || raw.length === 0) {
        scope.bad(key, "expected a non-empty list of repositories (no tag, no digest)", raw);
        return undefined;
    }
    const out: string[] = [];
    for (const r of raw as unknown[]) {
        const problem = typeof r === "string" ? repositoryProblem(r) : "expected a repository";
        if (problem !== undefined) scope.bad(key, problem, r);
        else if (out.includes(r as string)) scope.bad(key, "duplicate repository", r);
        else out.push(r as string);
    }
    return out;
}

/**
 * `image-release:builders`: platform → BuildKit address. Each platform must be one the stack builds
 * (its `platforms`, read before this key), each address one buildctl dials (release/builders.ts).
 */
export function builders(raw: unknown, scope: Scope, key: string): Record<string, string> | undefined {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw) || Object.keys(raw).length === 0) {
        scope.bad(
            key,
            `expected a map of platform to BuildKit address, e.g. {"linux/arm64": "tcp://127.0.0.1:12340"}`,
            raw,
        );
        return undefined;
    }
    const map = raw as Record<string, unknown>;
    const platforms = (scope.values.platforms as string[] | undefined) ?? [];
    let ok = true;
    for (const [platform, address] of Object.entries(map)) {
        const label = `${key}["${showValue(platform)}"]`;
        if (!isPlatformName(platform)) {
            scope.bad(label, "expected os/arch[/variant] such as linux/arm64", platform);
            ok = false;
        } else if (!platforms.includes(platform)) {
            scope.bad(
                label,
                `not a platform of ${scope.label("platforms")} (${platforms.join(", ")})`,
                platform,
            );
            ok = false;
        }
        const why =
            typeof address === "string" ? builderAddressProblem(address) : "expected an address string";
        if (why !== undefined) {
            scope.bad(label, why, address);
            ok = false;
        }
    }
    return ok ? (map as Record<string, string>) : undefined;
}
