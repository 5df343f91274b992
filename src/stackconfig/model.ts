import type { YAMLError } from "yaml";
import type { ChecksConfig } from "./checks";

/** The Pulumi project name: the namespace of every config key this package reads or writes. */
export const PROJECT = "image-release";

/** One image of a stack's pin: where it lives, which digest, and what that digest was built from. */
export interface PinnedImage {
    repository: string;
    platforms: string[];
    digest?: string;
    version?: string;
    gitSha?: string;
    /** The stack this image's digest was promoted from. */
    promotedFrom?: string;
    /** Where the digest is copied from into `repository` (another registry, or another path). */
    sourceRepository?: string;
    /** dev: the build context and Dockerfile of this image (relative to the project root). */
    build?: { context: string; dockerfile: string };
}

export interface StackImageConfig {
    stack: string;
    file: string;
    repository: string;
    platforms: string[];
    channel?: string;
    promoteFrom?: string;
    digest?: string;
    version?: string;
    gitSha?: string;
    promotedFrom?: string;
    /**
     * Where the pinned digest was copied from when it came from another repository (another registry,
     * or another path on the same one). `pulumi up` copies it into `repository` before the pin is
     * deployed, and a preview accepts it there until then.
     */
    sourceRepository?: string;
    build?: { context: string; dockerfile: string };
    verifyDigest: boolean;
    namespace: string;
    /**
     * The namespace already exists and is not the stack's to create: present only when
     * `image-release:createNamespace: false`. Otherwise the program creates `namespace` (never a system one).
     */
    createNamespace?: false;
    /**
     * No ValidatingAdmissionPolicy for the namespace: present only when `image-release:admissionPolicy:
     * false` (a cluster older than Kubernetes 1.30, or one whose admins manage policies themselves).
     */
    admissionPolicy?: false;
    kubeconfig?: string;
    kubeContext?: string;
    /** `org.opencontainers.image.source` for builds; otherwise taken from git or package.json. */
    source?: string;
    /** A training Job (PinnedJob) run on the stack's digest: which data, and the container args. */
    training?: TrainingConfig;
    /**
     * Trusted public keys (PEM paths, relative to the project root): a signature by any of them counts,
     * so a key rotation lists the old and the new key until every pinned digest is signed by the new one.
     */
    signingKeys?: string[];
    /** `image-release:verifierKeys`: whose signed check evidence and rejections the stack believes. */
    verifierKeys?: string[];
    /**
     * Refuse a promoted digest that has no passing, soaked check evidence from `promoteFrom` signed by a
     * verifier key. Default: on for prod, off elsewhere; present only when on.
     */
    requireVerification?: true;
    /** `image-release:checks`: what `image-release check` runs after `pulumi up`. */
    checks?: ChecksConfig;
    /** `image-release:allowImages`: third-party repositories the workload transform lets through. */
    allowImages?: string[];
    /**
     * `image-release:pullCredentials`: a pull credential per registry host, from which the stack makes
     * a `kubernetes.io/dockerconfigjson` Secret in its namespace that its workloads reference.
     */
    pullCredentials?: Record<string, PullCredentialConfig>;
    /**
     * `image-release:service: true`: the program's app gets a ClusterIP Service, a readiness probe on
     * `/readyz` and a rolling update that keeps every replica ready. Present only when on.
     */
    service?: true;
    /**
     * `image-release:rolloutTimeoutSeconds`: how long `pulumi up` waits for each workload of the stack
     * to turn ready (its `pulumi.com/timeoutSeconds` annotation). Default: the provider's own (10 minutes).
     */
    rolloutTimeoutSeconds?: number;
    /**
     * `image-release:builders`: platform → BuildKit address (`tcp://…`, `unix://…`) that builds it in a
     * release; the other platforms build on the local engine (README "Remote builders").
     */
    builders?: Record<string, string>;
    /**
     * Refuse a pin whose digest is not signed by a trusted key. Default: on for prod, off elsewhere;
     * present only when on.
     */
    requireSignature?: true;
    /**
     * The images this stack pins, by name. A file with the single-image keys (`image-release:digest`, …)
     * is a set of one, named after its repository's last path segment (`…/hello` is `hello`); a file
     * with `image-release:images` names each one. The single-image fields above (`repository`,
     * `platforms`, `digest`, `version`, `gitSha`, `promotedFrom`, `sourceRepository`) hold the set's
     * first image by name, so code that knows one image keeps working on a set of one.
     */
    images: Record<string, PinnedImage>;
    /** Where the pin lives in the file: the top-level keys (`single`) or `image-release:images` (`set`). */
    form: "single" | "set";
}

/** Stacks that require a signed digest unless their config says otherwise. */
export const SIGNED_BY_DEFAULT = ["prod"];

/** Stacks that take only a digest verified (and soaked) in the stack they promote from, unless told otherwise. */
export const VERIFIED_BY_DEFAULT = ["prod"];

/**
 * One registry's pull credential as the stack config holds it. The password is plaintext only where
 * the engine decrypted it for the program; a stack file read directly holds its ciphertext.
 */
export interface PullCredentialConfig {
    username: string;
    password: string | { secure: string };
}

export interface TrainingConfig {
    datasetVersion: string;
    command?: string[];
}

/**
 * Kubernetes namespaces (and other label-like names) are RFC 1123 labels; PinnedDeployment applies the
 * same rule to its args.
 */
export function rfc1123LabelProblem(value: string): string | undefined {
    if (value.length > 63) return `must be an RFC 1123 label of at most 63 characters, not ${value.length}`;
    if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) return undefined;
    return 'must be an RFC 1123 label: lowercase alphanumerics or "-", starting and ending with an alphanumeric';
}

/** Every problem in one stack file, one per line, so a user fixes them all in one pass. */
export class StackConfigError extends Error {
    constructor(
        message: string,
        public readonly problems: string[] = [],
    ) {
        super(message);
        this.name = "StackConfigError";
    }
}

/** One wording for a stack file that does not parse, whichever command (read or edit) hit it. */
export function malformedYamlError(file: string, err: YAMLError): StackConfigError {
    const first = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    return new StackConfigError(`${file}:${err.linePos?.[0].line ?? "?"}: malformed YAML: ${first}`);
}

export function notAConfigMapError(file: string): StackConfigError {
    return new StackConfigError(`${file}: expected a map with a "config:" map at the top level`);
}
