import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface Credential {
    username: string;
    password: string;
}

export interface AuthChallenge {
    scheme: string;
    params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="a,b"`; quoted values may hold commas and \-escapes. */
export function parseWwwAuthenticate(header: string): AuthChallenge {
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
    if (!m) return { scheme: "", params: {} };
    const params: Record<string, string> = {};
    const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*,?/gy;
    const rest = m[2];
    re.lastIndex = 0;
    let p: RegExpExecArray | null;
    while (re.lastIndex < rest.length && (p = re.exec(rest)) !== null) {
        params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3].trim();
    }
    return { scheme: m[1].toLowerCase(), params };
}

export function dockerConfigPath(explicit?: string): string {
    if (explicit) return explicit;
    const dir = process.env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker");
    return path.join(dir, "config.json");
}

function hostKeys(registry: string): string[] {
    const keys = [registry, `https://${registry}`, `http://${registry}`];
    if (registry === "docker.io")
        keys.push("https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io");
    return keys;
}

/**
 * Asks `docker-credential-<helper> get` (the docker credential-helper protocol: server URL on stdin,
 * `{"Username","Secret"}` on stdout). A missing helper or "credentials not found" means anonymous; an
 * identity token (`<token>` user) is an OAuth refresh token we do not exchange, so it counts as none.
 */
export function credentialFromHelper(helper: string, serverUrl: string): Credential | undefined {
    let out: string;
    try {
        out = execFileSync(`docker-credential-${helper}`, ["get"], {
            input: serverUrl,
            encoding: "utf8",
            stdio: ["pipe", "pipe", "ignore"],
            timeout: 10_000,
        });
    } catch {
        return undefined;
    }
    try {
        const r = JSON.parse(out) as { Username?: string; Secret?: string };
        if (r.Username && r.Secret && r.Username !== "<token>")
            return { username: r.Username, password: r.Secret };
    } catch {
        // Not the protocol's JSON: treat as no credential rather than guess.
    }
    return undefined;
}

/**
 * A docker config's credential for `registry`, resolved as docker does: `credHelpers[host]`, then an
 * inline `auths[host]`, then the `credsStore` helper. A missing or unreadable file means anonymous.
 */
export function readDockerConfigCredential(registry: string, file: string): Credential | undefined {
    let raw: string;
    try {
        raw = fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
    let cfg: {
        auths?: Record<string, { auth?: string; username?: string; password?: string }>;
        credHelpers?: Record<string, string>;
        credsStore?: string;
    };
    try {
        cfg = JSON.parse(raw) as typeof cfg;
    } catch {
        return undefined;
    }
    const helper = hostKeys(registry)
        .map((k) => cfg.credHelpers?.[k])
        .find((h) => h !== undefined);
    if (helper)
        return credentialFromHelper(
            helper,
            registry === "docker.io" ? "https://index.docker.io/v1/" : registry,
        );
    for (const key of hostKeys(registry)) {
        const entry = cfg.auths?.[key] ?? cfg.auths?.[key.replace(/\/$/, "")];
        if (!entry) continue;
        if (entry.auth) {
            const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
            const i = decoded.indexOf(":");
            if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
        }
        if (entry.username && entry.password) return { username: entry.username, password: entry.password };
    }
    if (cfg.credsStore) {
        return credentialFromHelper(
            cfg.credsStore,
            registry === "docker.io" ? "https://index.docker.io/v1/" : registry,
        );
    }
    return undefined;
}

export function basicHeader(c: Credential): string {
    return "Basic " + Buffer.from(`${c.username}:${c.password}`).toString("base64");
}

interface CachedToken {
    token: string;
    expiresAt: number;
}

/** Bearer tokens keyed by registry+scope, dropped once expires_in has passed. */
export class TokenCache {
    private readonly tokens = new Map<string, CachedToken>();

    get(registry: string, scope: string, now = Date.now()): string | undefined {
        const t = this.tokens.get(`${registry} ${scope}`);
        if (!t || t.expiresAt <= now) return undefined;
        return t.token;
    }

    set(
        registry: string,
        scope: string,
        token: string,
        expiresInSec: number | undefined,
        now = Date.now(),
    ): void {
        // The distribution spec says 60s when expires_in is absent.
        const ttl = (expiresInSec && expiresInSec > 0 ? expiresInSec : 60) * 1000;
        this.tokens.set(`${registry} ${scope}`, { token, expiresAt: now + ttl - 1000 });
    }
}
