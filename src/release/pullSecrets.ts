import { parseReference } from "./reference";
import { withValueAt } from "./pinImages";
import { CONTAINER_FIELDS, WorkloadKind } from "./workloads";

/** A registry's pull credential: what the cluster's nodes log in with (never the deployer's push login). */
export interface PullCredential {
    readonly username: string;
    readonly password: string;
}

/** The Secret type whose `.dockerconfigjson` the kubelet reads for `imagePullSecrets`. */
export const DOCKER_CONFIG_JSON_TYPE = "kubernetes.io/dockerconfigjson";

/** The one data key of a {@link DOCKER_CONFIG_JSON_TYPE} Secret. */
export const DOCKER_CONFIG_JSON_KEY = ".dockerconfigjson";

const HOST_EXAMPLE = "a registry host[:port] such as 127.0.0.1:5001 or ghcr.io";
const HUB_NAMES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/**
 * The registry `host` names, as an image reference's registry compares (lowercase; Docker Hub's
 * aliases are `docker.io`), or undefined when it is not a registry host (see {@link registryHostProblem}).
 */
export function registryKey(host: string): string | undefined {
    if (/[/@\s]/.test(host)) return undefined;
    let registry: string;
    try {
        registry = parseReference(`${host}/x`).registry.toLowerCase();
    } catch {
        return undefined;
    }
    // `team/app` is Docker Hub's team/app: a first component without "." or ":port" is no host.
    return registry === "docker.io" && !HUB_NAMES.has(host.toLowerCase()) ? undefined : registry;
}

/** Why `host` is not a registry host[:port], or undefined when it is one. */
export function registryHostProblem(host: string): string | undefined {
    if (registryKey(host) !== undefined) return undefined;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host) || /[/@]/.test(host)) {
        return `expected ${HOST_EXAMPLE}, without a scheme, path or credentials`;
    }
    if (/^[A-Za-z0-9-]+$/.test(host) && host !== "localhost") {
        return `expected ${HOST_EXAMPLE}; an image named ${host}/app is on Docker Hub, so a host needs a "." or a ":port"`;
    }
    return `expected ${HOST_EXAMPLE}`;
}

/**
 * The `.dockerconfigjson` of a pull Secret: `{"auths": {host: {username, password, auth}}}`, hosts in
 * sorted order so the same credentials always give the same bytes (and no diff). `auth` is
 * base64(`username:password`), which the kubelet reads.
 * https://kubernetes.io/docs/concepts/configuration/secret/#docker-config-secrets
 */
export function dockerConfigJson(credentials: Readonly<Record<string, PullCredential>>): string {
    const auths: Record<string, { username: string; password: string; auth: string }> = {};
    for (const host of Object.keys(credentials).sort()) {
        const { username, password } = credentials[host];
        const auth = Buffer.from(`${username}:${password}`, "utf8").toString("base64");
        auths[host] = { username, password, auth };
    }
    return JSON.stringify({ auths });
}

/** A pull Secret the workloads reference: its name, and the registries whose images need it. */
export interface PullSecretRef {
    /** The Secret's `metadata.name`, in the workload's namespace. */
    readonly name: string;
    /** Registry hosts (`127.0.0.1:5001`); a pod that runs an image from one of them references the Secret. */
    readonly registries: readonly string[];
}

function at(node: unknown, path: readonly string[]): unknown {
    for (const key of path) {
        node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
    return node;
}

/** Whether any container, init container or ephemeral container of the pod spec runs from `registries`. */
function pullsFrom(podSpec: unknown, registries: ReadonlySet<string>): boolean {
    for (const field of CONTAINER_FIELDS) {
        const list = at(podSpec, [field]);
        if (!Array.isArray(list)) continue;
        for (const c of list as unknown[]) {
            const image = at(c, ["image"]);
            // Not a string: unknown in a preview (or secret); its registry is not known yet.
            if (typeof image !== "string") continue;
            try {
                if (registries.has(parseReference(image).registry.toLowerCase())) return true;
            } catch {
                // An image that does not parse names no registry; the pin rules report it.
            }
        }
    }
    return false;
}

/**
 * A workload whose pod spec runs an image from one of `ref.registries` gets `imagePullSecrets`
 * entry `{name: ref.name}`, after the entries it already has (never twice). Returns the new props, or
 * undefined when nothing changes (no such image, the reference is there, or the list is not a list yet).
 */
export function withPullSecret(kind: WorkloadKind, props: unknown, ref: PullSecretRef): unknown {
    const podSpec = at(props, kind.podSpecPath);
    const registries = new Set(ref.registries.map((r) => registryKey(r) ?? r.toLowerCase()));
    if (!pullsFrom(podSpec, registries)) return undefined;
    const existing = at(podSpec, ["imagePullSecrets"]);
    if (existing !== undefined && !Array.isArray(existing)) return undefined;
    const list = (existing ?? []) as unknown[];
    if (list.some((s) => at(s, ["name"]) === ref.name)) return undefined;
    return withValueAt(props, [...kind.podSpecPath, "imagePullSecrets"], [...list, { name: ref.name }]);
}

/** The pull Secret a stack with `image-release:pullCredentials` makes in its namespace (PullSecret's default name). */
export const DEFAULT_PULL_SECRET_NAME = "image-release-pull";
