import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    DEFAULT_PULL_SECRET_NAME,
    DOCKER_CONFIG_JSON_KEY,
    DOCKER_CONFIG_JSON_TYPE,
    dockerConfigJson,
    registryHostProblem,
    showValue,
} from "../release";
import { ArgProblem, isPlain, namespaceProblems, throwIfProblems } from "./validate";

/** The Secret name the stack's workloads reference when `secretName` is not given. */
export { DEFAULT_PULL_SECRET_NAME };

/** One registry's pull credential; the password is best a secret (`config.requireSecret`). */
export interface PullCredentialInput {
    readonly username: pulumi.Input<string>;
    readonly password: pulumi.Input<string>;
}

export interface PullSecretArgs {
    /**
     * A **pull** credential per registry host (`{"127.0.0.1:5001": {username, password}}`). Required,
     * at least one. Conflicts with the deployer's own registry login (`docker login`, the
     * `credentials` of MultiArchImage and ChannelTag), which can often push: pass a read-only one.
     * The Secret's data is a Pulumi secret, so state holds it only encrypted.
     * https://kubernetes.io/docs/tasks/configure-pod-container/pull-image-private-registry/
     */
    readonly credentials: Readonly<Record<string, PullCredentialInput>>;
    /**
     * The namespace of the Secret: the one of the workloads that reference it. Required; a pod can
     * only use a pull Secret of its own namespace.
     * https://kubernetes.io/docs/concepts/containers/images/#specifying-imagepullsecrets-on-a-pod
     */
    readonly namespace: pulumi.Input<string>;
    /** The Secret's `metadata.name`, which pod specs name in `imagePullSecrets`. Default `image-release-pull`. */
    readonly secretName?: string;
}

/** Every problem with the plain (known) args; none quotes a password. */
export function pullSecretProblems(args: PullSecretArgs): ArgProblem[] {
    const hosts = Object.keys(args.credentials);
    const problems: ArgProblem[] = [];
    if (hosts.length === 0)
        problems.push({ propertyPath: "credentials", reason: "must name a registry (got {})" });
    for (const host of hosts) {
        const at = `credentials["${showValue(host)}"]`;
        const problem = registryHostProblem(host);
        if (problem !== undefined)
            problems.push({ propertyPath: at, reason: `${problem} (got "${showValue(host)}")` });
        problems.push(...credentialProblems(at, args.credentials[host]));
    }
    if (isPlain(args.namespace)) problems.push(...namespaceProblems("namespace", args.namespace));
    const name = args.secretName;
    if (name !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name))
        problems.push({
            propertyPath: "secretName",
            reason: `must be a DNS subdomain name (got "${showValue(name)}")`,
        });
    return problems;
}

/** A known username or password that is empty; the value itself is never quoted. */
function credentialProblems(at: string, c: Partial<PullCredentialInput> | undefined): ArgProblem[] {
    const out: ArgProblem[] = [];
    for (const field of ["username", "password"] as const) {
        const v = c?.[field];
        if (v === undefined || (isPlain(v) && (typeof v !== "string" || v === "")))
            out.push({ propertyPath: `${at}.${field}`, reason: "is required (a non-empty string)" });
    }
    return out;
}

/**
 * A `kubernetes.io/dockerconfigjson` Secret made from pull credentials of its own, for the workloads
 * of one namespace to name in `imagePullSecrets` (`pinWorkloads`' `pullSecret` option adds that).
 * Its data is a Pulumi secret: state and `pulumi up` output hold it only encrypted, as `[secret]`.
 */
export class PullSecret extends pulumi.ComponentResource {
    /** The Secret's `metadata.name`. */
    public readonly secretName: pulumi.Output<string>;
    /** The registry hosts it holds a credential for, sorted. */
    public readonly registries: pulumi.Output<string[]>;
    public readonly secret: k8s.core.v1.Secret;

    constructor(name: string, args: PullSecretArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("image-release:deploy:PullSecret", name, {}, opts);
        throwIfProblems("PullSecret", name, pullSecretProblems(args));
        const hosts = Object.keys(args.credentials).sort();
        const credentials = pulumi.secret(
            pulumi.output(args.credentials).apply((resolved) => {
                // A password that was an Output is only known now: the same rule, still never quoted.
                throwIfProblems("PullSecret", name, pullSecretProblems({ ...args, credentials: resolved }));
                return resolved;
            }),
        );
        const data = credentials.apply((c) => ({
            [DOCKER_CONFIG_JSON_KEY]: Buffer.from(dockerConfigJson(c), "utf8").toString("base64"),
        }));
        this.secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: { name: args.secretName ?? DEFAULT_PULL_SECRET_NAME, namespace: args.namespace },
                type: DOCKER_CONFIG_JSON_TYPE,
                data: pulumi.secret(data),
            },
            // The name is fixed (pod specs name it), so a replacement must delete the old one first.
            { parent: this, additionalSecretOutputs: ["data", "stringData"], deleteBeforeReplace: true },
        );
        this.secretName = this.secret.metadata.name;
        this.registries = pulumi.output(hosts);
        this.registerOutputs({ secretName: this.secretName, registries: this.registries });
    }
}
