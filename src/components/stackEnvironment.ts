import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, StackImageConfig } from "../stackconfig";
import { PullSecret } from "./pullSecret";

/**
 * The stack's `image-release:*` config as the YAML file holds it. The engine hands every value over
 * as a string, so lists, objects and booleans are decoded back from their JSON form.
 */
export function stackConfigRecord(): Record<string, unknown> {
    const record: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(pulumi.runtime.allConfig())) {
        if (!key.startsWith(`${PROJECT}:`)) {
            continue;
        }
        let value: unknown = raw;
        if (/^\s*[[{]/.test(raw) || raw === "true" || raw === "false") {
            try {
                value = JSON.parse(raw);
            } catch {
                value = raw;
            }
        }
        record[key] = value;
    }
    return record;
}

/**
 * The directory of Pulumi.yaml. The engine runs the program from the directory of `main`, so paths in
 * the stack config, which are relative to the project, resolve from here. Under test mocks there is no
 * engine (the mock root is not an absolute path) and tests run from the root.
 */
export function projectRoot(): string {
    const root = pulumi.runtime.getRootDirectory();
    return path.isAbsolute(root) ? root : process.cwd();
}

function kubernetesOptions(stack: string, cfg: StackImageConfig): pulumi.ComponentResourceOptions {
    if (cfg.kubeconfig === undefined && cfg.kubeContext === undefined) {
        return {};
    }
    // An explicit provider makes "which cluster" part of the stack's config rather than the shell's.
    const provider = new k8s.Provider(`${stack}-kubernetes`, {
        kubeconfig: cfg.kubeconfig?.replace(/^~(?=\/)/, process.env.HOME ?? "~"),
        context: cfg.kubeContext,
        namespace: cfg.namespace,
    });
    return { providers: { kubernetes: provider } };
}

/** Namespaces every cluster has and its control plane lives in: never the stack's to create (or delete). */
const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/**
 * The Kubernetes options every workload of the stack takes: the stack's provider, and the Namespace its
 * config names, which the stack creates unless `image-release:createNamespace: false` says it exists.
 * Each workload depends on it, so on a fresh cluster the namespace exists before anything is created in
 * it (a component registers only once its dependencies are created, its children after it).
 */
export function workloadOptions(stack: string, cfg: StackImageConfig): pulumi.ComponentResourceOptions {
    const opts = kubernetesOptions(stack, cfg);
    if (cfg.createNamespace === false || SYSTEM_NAMESPACES.includes(cfg.namespace))
        return withPullSecret(cfg, opts);
    const provider = (opts.providers as Record<string, pulumi.ProviderResource> | undefined)?.kubernetes;
    const namespace = new k8s.core.v1.Namespace(
        "namespace",
        { metadata: { name: cfg.namespace } },
        // Retained on delete: `pulumi destroy` (or a renamed namespace) would otherwise delete the
        // namespace and with it everything in it that is not this stack's (other workloads, secrets,
        // volume claims). The stack deletes its own objects; the namespace outlives the stack.
        { retainOnDelete: true, ...(provider ? { provider } : {}) },
    );
    return withPullSecret(cfg, opts, [namespace]);
}

/**
 * The pull Secret of `image-release:pullCredentials` (never the deployer's login) in the stack's
 * namespace, after the Namespace; every workload waits for it, and the transform references it.
 */
function withPullSecret(
    cfg: StackImageConfig,
    opts: pulumi.ComponentResourceOptions,
    dependsOn: pulumi.Resource[] = [],
): pulumi.ComponentResourceOptions {
    if (cfg.pullCredentials === undefined) return dependsOn.length === 0 ? opts : { ...opts, dependsOn };
    const credentials = Object.fromEntries(
        // The engine handed the password over decrypted: it stays a secret from here on.
        Object.entries(cfg.pullCredentials).map(([host, c]) => [
            host,
            { username: c.username, password: pulumi.secret(c.password as string) },
        ]),
    );
    const secret = new PullSecret("pull", { namespace: cfg.namespace, credentials }, { ...opts, dependsOn });
    return { ...opts, dependsOn: [...dependsOn, secret] };
}

/** Which `image-release:*` keys the engine decrypted for the program (internal to the SDK's typings). */
export function secretConfigKeys(config: Record<string, unknown>): string[] {
    const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
    return Object.keys(config).filter((k) => runtime.isConfigSecret(k));
}
