import { registryHostProblem, registryKey, showValue } from "../release";
import { PullCredentialConfig } from "./model";
import { Scope } from "./scope";

/** What a message shows for a value that may hold a password: never the value itself. */
const REDACTED = "<redacted>";
const FIELDS = ["username", "password"];

function isMap(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `{secure: "v1:…"}`: a secret as the stack file holds it, which only the engine decrypts. */
function isCiphertext(v: unknown): v is { secure: string } {
    return isMap(v) && Object.keys(v).length === 1 && typeof v.secure === "string" && v.secure !== "";
}

/** The key of one registry's field, as `pulumi config set --path` names it: `pullCredentials["h"].password`. */
function pathOf(key: string, host: string, field?: string): string {
    return `${key}["${showValue(host)}"]${field === undefined ? "" : `.${field}`}`;
}

function setPassword(scope: Scope, key: string, host: string): string {
    return `pulumi config set --secret --path '${scope.label(pathOf(key, host, "password"))}'`;
}

/**
 * The password: in the file, ciphertext (`{secure: …}`); from the engine, the decrypted string of a
 * key it holds as a secret. A password in plain text is refused, and no message ever quotes one.
 */
function password(
    raw: unknown,
    scope: Scope,
    key: string,
    host: string,
): PullCredentialConfig["password"] | undefined {
    const engine = scope.report.secretKeys;
    const at = pathOf(key, host, "password");
    if (raw === undefined || raw === "") {
        scope.bad(
            at,
            `required: the registry's pull password, a secret (${setPassword(scope, key, host)})`,
            "",
        );
    } else if (engine === undefined && isCiphertext(raw)) {
        return raw;
    } else if (typeof raw !== "string") {
        scope.bad(at, `expected a secret string (${setPassword(scope, key, host)})`, REDACTED);
    } else if (engine === undefined || !engine.has(scope.label(key))) {
        scope.bad(
            at,
            `written in plain text; a pull password must be a secret config value (${setPassword(scope, key, host)})`,
            REDACTED,
        );
    } else {
        return raw;
    }
    return undefined;
}

/** One registry's entry; undefined when it has a problem (reported). */
function credential(raw: unknown, scope: Scope, key: string, host: string): PullCredentialConfig | undefined {
    const at = pathOf(key, host);
    if (!isMap(raw)) {
        scope.bad(at, "expected a map with username and password", REDACTED);
        return undefined;
    }
    for (const field of Object.keys(raw).filter((f) => !FIELDS.includes(f))) {
        scope.bad(pathOf(key, host, field), `unknown key (known: ${FIELDS.join(", ")})`, REDACTED);
    }
    const missing = (v: unknown) => v === undefined || v === "";
    if (missing(raw.username) && missing(raw.password)) {
        scope.bad(at, `no credentials: set username and password (${setPassword(scope, key, host)})`, "");
        return undefined;
    }
    let username: string | undefined;
    if (typeof raw.username === "string" && raw.username !== "") {
        username = raw.username;
    } else {
        const why = missing(raw.username)
            ? `required: the user name the cluster pulls from ${showValue(host)} with`
            : "expected a non-empty string";
        scope.bad(pathOf(key, host, "username"), why, raw.username ?? "");
    }
    const pass = password(raw.password, scope, key, host);
    return username === undefined || pass === undefined ? undefined : { username, password: pass };
}

/**
 * `image-release:pullCredentials`: registry host (`127.0.0.1:5001`) to that registry's pull credential,
 * `{username, password}`, the password a secret config value. Every problem names the key by the path
 * `pulumi config set --path` takes, and none quotes a password.
 */
export function pullCredentials(
    raw: unknown,
    scope: Scope,
    key: string,
): Record<string, PullCredentialConfig> | undefined {
    if (!isMap(raw) || Object.keys(raw).length === 0) {
        const shown = isMap(raw) ? raw : REDACTED;
        scope.bad(key, "expected a map of registry host to {username, password}", shown);
        return undefined;
    }
    const out: Record<string, PullCredentialConfig> = {};
    const seen = new Map<string, string>();
    for (const host of Object.keys(raw).sort()) {
        const problem = registryHostProblem(host);
        const registry = registryKey(host);
        if (problem !== undefined) scope.bad(pathOf(key, host), problem, host);
        else if (registry !== undefined && seen.has(registry))
            scope.bad(pathOf(key, host), `the same registry as "${seen.get(registry)}"`, host);
        if (registry !== undefined && !seen.has(registry)) seen.set(registry, host);
        const c = credential(raw[host], scope, key, host);
        if (c !== undefined && problem === undefined) out[host] = c;
    }
    return out;
}
