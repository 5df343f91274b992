import { ReleaseRuleError } from "./errors";

export interface ImageReference {
    registry: string;
    path: string;
    name: string;
    tag?: string;
    digest?: string;
}

const DOCKER_HUB = "docker.io";
const DOCKER_HUB_ALIASES = new Set(["index.docker.io", "registry-1.docker.io"]);
// distribution/reference: domain components, optional port, or a bracketed IPv6 literal.
const DOMAIN_RE =
    /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const MAX_NAME_LENGTH = 255;

export function isDigest(s: string): boolean {
    return DIGEST_RE.test(s);
}

/** A git commit sha as labels and stack files carry it: 7-40 lowercase hex. */
export function isGitSha(s: string): boolean {
    return /^[0-9a-f]{7,40}$/.test(s);
}

/** An OCI tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`. */
export function isTag(s: string): boolean {
    return TAG_RE.test(s);
}

function checkDigest(input: string, digest: string): void {
    if (isDigest(digest)) return;
    const m = /^sha256:(.*)$/.exec(digest);
    if (!m) {
        throw new ReleaseRuleError(
            `invalid reference "${input}": digest "${digest}" must be sha256:<64 lowercase hex>`,
        );
    }
    const hex = m[1];
    if (/^[0-9a-fA-F]*$/.test(hex) && hex.length !== 64) {
        throw new ReleaseRuleError(
            `invalid reference "${input}": digest "${digest}" has ${hex.length} hex characters, expected 64`,
        );
    }
    throw new ReleaseRuleError(
        `invalid reference "${input}": digest "${digest}" must be sha256:<64 lowercase hex>`,
    );
}

function checkTag(input: string, tag: string): void {
    if (tag.length > 128) {
        throw new ReleaseRuleError(
            `invalid reference "${input}": tag "${tag}" is ${tag.length} characters, the limit is 128`,
        );
    }
    if (!TAG_RE.test(tag)) {
        throw new ReleaseRuleError(
            `invalid reference "${input}": tag "${tag}" must match [\\w][\\w.-]{0,127}`,
        );
    }
}

function splitRegistry(input: string, name: string): { registry: string; path: string } {
    const slash = name.indexOf("/");
    const first = slash < 0 ? name : name.slice(0, slash);
    const isRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
    if (!isRegistry) {
        return { registry: DOCKER_HUB, path: slash < 0 ? `library/${name}` : name };
    }
    if (!DOMAIN_RE.test(first)) {
        throw new ReleaseRuleError(
            `invalid reference "${input}": registry "${first}" is not a valid host[:port]`,
        );
    }
    const registry = DOCKER_HUB_ALIASES.has(first.toLowerCase()) ? DOCKER_HUB : first;
    let path = name.slice(slash + 1);
    if (registry === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
    return { registry, path };
}

/**
 * `user:password@` (or a lone token) before the host, up to the last "@" ahead of the first "/"; or,
 * when the password itself holds a "/", any `user:…@` whose "@" is followed by `host/`.
 */
const USERINFO_RE = /^(?:[^/]+|[^@\s]*:[^@\s]*)@(?=[^/@]+\/)/;
const URL_USERINFO_RE = /^([a-z][a-z0-9+.-]*:\/\/)[^/]*@/i;

/** The userinfo that starts `s`, unless what follows it is really `name@<algorithm>:<hex>`. */
function userinfoOf(s: string): string | undefined {
    const m = USERINFO_RE.exec(s);
    if (m === null) return undefined;
    // `git@host:team/app` is an scp-style git remote: a user name, no secret, and no image reference.
    if (!m[0].includes(":") && /^[^/@:]+:(?![0-9]+\/)/.test(s.slice(m[0].length))) return undefined;
    return /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-f]{32,}$/i.test(s.slice(m[0].length)) ? undefined : m[0];
}

/**
 * `s` with the credentials of `user:password@host/…`, `scheme://user:password@host/…` or a bare
 * `user:password@host[:port]` replaced by `<redacted>`: what every message that quotes a reference or
 * URL quotes. Anything else is unchanged.
 */
export function redactCredentials(s: string): string {
    if (URL_USERINFO_RE.test(s)) return s.replace(URL_USERINFO_RE, "$1<redacted>@");
    const userinfo = userinfoOf(s);
    if (userinfo !== undefined) return `<redacted>@${s.slice(userinfo.length)}`;
    // No path at all: `user:password@host` (a `name:tag@sha256:…` keeps its name).
    const at = s.lastIndexOf("@");
    if (
        at > 0 &&
        !s.includes("/") &&
        s.slice(0, at).includes(":") &&
        !/^sha(256|384|512):/.test(s.slice(at + 1))
    ) {
        return `<redacted>@${s.slice(at + 1)}`;
    }
    return s;
}

export function parseReference(s: string): ImageReference {
    // Every refusal quotes the input, never the password in it.
    const input = redactCredentials(s);
    if (s.trim() === "") throw new ReleaseRuleError(`invalid reference "${input}": empty`);
    if (/\s/.test(s)) throw new ReleaseRuleError(`invalid reference "${input}": contains whitespace`);
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
    if (scheme) {
        throw new ReleaseRuleError(
            `invalid reference "${input}": a reference has no URL scheme (drop "${scheme[1]}://")`,
        );
    }
    if (userinfoOf(s) !== undefined) {
        throw new ReleaseRuleError(
            `invalid reference "${input}": credentials do not belong in an image reference (use docker login or the credentials argument)`,
        );
    }

    let rest = s;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        checkDigest(input, digest);
    }
    let tag: string | undefined;
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
        if (tag === "") throw new ReleaseRuleError(`invalid reference "${input}": empty tag after ":"`);
        checkTag(input, tag);
    }
    if (rest === "") throw new ReleaseRuleError(`invalid reference "${input}": empty repository name`);

    const { registry, path } = splitRegistry(input, rest);
    for (const component of path.split("/")) {
        if (component === "") {
            throw new ReleaseRuleError(`invalid reference "${input}": empty path component in "${path}"`);
        }
        if (/[A-Z]/.test(component)) {
            throw new ReleaseRuleError(
                `invalid reference "${input}": repository path "${path}" must be lowercase`,
            );
        }
        if (!PATH_COMPONENT_RE.test(component)) {
            throw new ReleaseRuleError(
                `invalid reference "${input}": path component "${component}" must be lowercase alphanumerics separated by ".", "_", "__" or "-"`,
            );
        }
    }
    const name = `${registry}/${path}`;
    if (name.length > MAX_NAME_LENGTH) {
        throw new ReleaseRuleError(
            `invalid reference "${input}": name is ${name.length} characters, the limit is ${MAX_NAME_LENGTH}`,
        );
    }
    return {
        registry,
        path,
        name,
        ...(tag !== undefined ? { tag } : {}),
        ...(digest !== undefined ? { digest } : {}),
    };
}

export function formatReference(r: ImageReference): string {
    return `${r.name}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

export function pinned(ref: string | ImageReference): string {
    const r = typeof ref === "string" ? parseReference(ref) : ref;
    if (!r.digest) {
        throw new ReleaseRuleError(
            `reference "${formatReference(r)}" has no digest; expected <name>@sha256:<64 hex>`,
        );
    }
    return `${r.name}@${r.digest}`;
}

/**
 * Whether two repository names are the same repository once normalised (`acme/api` is
 * `docker.io/acme/api`, `index.docker.io/…` too); a name that does not parse compares as written.
 */
export function sameRepository(a: string, b: string): boolean {
    try {
        return parseReference(a).name === parseReference(b).name;
    } catch {
        return a === b;
    }
}
