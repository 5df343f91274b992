import type { YAMLError } from "yaml";
import {
    CHANNELS,
    configuredSourceProblem,
    DEFAULT_PLATFORMS,
    isDigest,
    isGitSha,
    isPlatformName,
    isSemver,
    parseReference,
    PINNED_STACKS,
} from "../release";

/** The Pulumi project name: the namespace of every config key this package reads or writes. */
export const PROJECT = "image-release";

/** What a stack name may look like; it becomes part of the file name `Pulumi.<stack>.yaml`. */
export const STACK_NAME = /^[a-z][a-z0-9-]*$/;

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
    /**
     * Refuse a pin whose digest is not signed by a trusted key. Default: on for prod, off elsewhere;
     * present only when on.
     */
    requireSignature?: true;
}

/** Stacks that require a signed digest unless their config says otherwise. */
export const SIGNED_BY_DEFAULT = ["prod"];

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

const KEYS = [
    "repository",
    "platforms",
    "channel",
    "promoteFrom",
    "digest",
    "version",
    "gitSha",
    "promotedFrom",
    "sourceRepository",
    "build",
    "verifyDigest",
    "namespace",
    "kubeconfig",
    "kubeContext",
    "source",
    "training",
    "signingKey",
    "requireSignature",
];

function show(v: unknown): string {
    return typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
}

export function validateStackConfig(
    stack: string,
    file: string,
    config: Record<string, unknown>,
): StackImageConfig {
    const problems: string[] = [];
    const bad = (key: string, problem: string, value: unknown) =>
        problems.push(`${file}: ${PROJECT}:${key}: ${problem} (got "${show(value)}")`);
    const get = (key: string): unknown => config[`${PROJECT}:${key}`];
    const optString = (key: string): string | undefined => {
        const v = get(key);
        if (v === undefined) {
            return undefined;
        }
        if (typeof v !== "string" || v === "") {
            bad(key, "expected a non-empty string", v);
            return undefined;
        }
        return v;
    };

    if (!STACK_NAME.test(stack)) {
        problems.push(`${file}: stack name must match ^[a-z][a-z0-9-]*$ (got "${stack}")`);
    }
    for (const key of Object.keys(config)) {
        // Other namespaces (kubernetes:, pulumi:) belong to other tools.
        if (key.startsWith(`${PROJECT}:`) && !KEYS.includes(key.slice(PROJECT.length + 1))) {
            bad(key.slice(PROJECT.length + 1), `unknown key (known: ${KEYS.join(", ")})`, config[key]);
        }
    }

    const checkRepository = (key: string, value: string): void => {
        try {
            const ref = parseReference(value);
            if (ref.tag !== undefined || ref.digest !== undefined) {
                bad(
                    key,
                    "must be a repository without a tag or digest (pin with image-release:digest)",
                    value,
                );
            } else if (value !== value.toLowerCase()) {
                bad(key, "must be lowercase", value);
            }
        } catch (e) {
            bad(key, (e as Error).message.replace(/^invalid reference "[^"]*": /, ""), value);
        }
    };
    const repository = optString("repository");
    if (get("repository") === undefined) {
        bad("repository", "required", "");
    } else if (repository !== undefined) {
        checkRepository("repository", repository);
    }
    const sourceRepository = optString("sourceRepository");
    if (sourceRepository !== undefined) {
        checkRepository("sourceRepository", sourceRepository);
        if (get("digest") === undefined) {
            bad(
                "sourceRepository",
                "only meaningful with image-release:digest (it says where the pin is copied from)",
                sourceRepository,
            );
        } else if (sourceRepository === repository) {
            bad(
                "sourceRepository",
                "is image-release:repository itself; remove it (nothing to copy)",
                sourceRepository,
            );
        }
    }

    const digest = optString("digest");
    if (digest !== undefined && !isDigest(digest)) {
        const hex = /^sha256:([0-9a-fA-F]*)$/.exec(digest);
        if (hex !== null && hex[1].length === 64) {
            bad("digest", "expected lowercase hex in sha256:<64 hex>", digest);
        } else if (hex !== null) {
            bad("digest", `expected sha256:<64 hex>, but it has ${hex[1].length} hex chars`, digest);
        } else if (!digest.includes(":") || digest.startsWith(":")) {
            bad("digest", "expected a digest sha256:<64 hex>, not a tag", digest);
        } else {
            bad("digest", "expected a digest sha256:<64 hex>", digest);
        }
    }

    let platforms = [...DEFAULT_PLATFORMS];
    const rawPlatforms = get("platforms");
    if (rawPlatforms !== undefined) {
        if (!Array.isArray(rawPlatforms) || rawPlatforms.length === 0) {
            bad("platforms", "expected a non-empty list of os/arch[/variant]", rawPlatforms);
        } else {
            platforms = [];
            const seen = new Set<string>();
            for (const p of rawPlatforms as unknown[]) {
                if (typeof p !== "string" || !isPlatformName(p)) {
                    bad("platforms", "expected os/arch[/variant] such as linux/amd64", p);
                } else if (seen.has(p)) {
                    bad("platforms", "duplicate platform", p);
                } else {
                    seen.add(p);
                    platforms.push(p);
                }
            }
        }
    }

    const version = optString("version");
    // One rule for "is a version" across the project: semver.valid alone also takes "=1.2.3" and " 1.2.3".
    if (version !== undefined && !isSemver(version)) {
        bad("version", "not a semver version", version);
    }
    const channel = optString("channel");
    if (channel !== undefined && !(CHANNELS as readonly string[]).includes(channel)) {
        bad("channel", `expected one of ${CHANNELS.join(", ")}`, channel);
    }
    const gitSha = optString("gitSha");
    if (gitSha !== undefined && !isGitSha(gitSha)) {
        bad("gitSha", "expected 7-40 lowercase hex chars", gitSha);
    }

    let build: { context: string; dockerfile: string } | undefined;
    const rawBuild = get("build");
    if (rawBuild !== undefined) {
        const b = rawBuild as Record<string, unknown>;
        if (typeof rawBuild !== "object" || rawBuild === null || Array.isArray(rawBuild)) {
            bad("build", "expected a map with context and dockerfile", rawBuild);
        } else if (typeof b.context !== "string" || b.context === "") {
            bad("build", "build.context must be a non-empty string", b.context);
        } else if (b.dockerfile !== undefined && (typeof b.dockerfile !== "string" || b.dockerfile === "")) {
            bad("build", "build.dockerfile must be a non-empty string", b.dockerfile);
        } else {
            build = {
                context: b.context,
                dockerfile: typeof b.dockerfile === "string" ? b.dockerfile : "Dockerfile",
            };
        }
    }

    if (PINNED_STACKS.includes(stack)) {
        if (get("digest") === undefined) {
            bad("digest", `required in stack "${stack}" (it deploys a pinned digest, never builds)`, "");
        }
        if (rawBuild !== undefined) {
            bad(
                "build",
                `not allowed in stack "${stack}" (it deploys a pinned digest, never builds)`,
                rawBuild,
            );
        }
    } else if (stack === "dev" && rawBuild === undefined && get("digest") === undefined) {
        bad("build", 'stack "dev" needs image-release:build or image-release:digest', "");
    }

    let verifyDigest = true;
    const rawVerify = get("verifyDigest");
    if (rawVerify !== undefined) {
        // Pulumi hands every config scalar to the program as a string, so "true"/"false" are the usual form.
        if (rawVerify === true || rawVerify === "true") {
            verifyDigest = true;
        } else if (rawVerify === false || rawVerify === "false") {
            verifyDigest = false;
        } else {
            bad("verifyDigest", "expected true or false", rawVerify);
        }
    }
    const namespace = optString("namespace") ?? "default";
    // The same rule PinnedDeployment applies, checked here so the error names the file and key.
    const namespaceProblem = rfc1123LabelProblem(namespace);
    if (namespaceProblem !== undefined) bad("namespace", namespaceProblem, namespace);
    const promoteFrom = optString("promoteFrom");
    const promotedFrom = optString("promotedFrom");
    const kubeconfig = optString("kubeconfig");
    const kubeContext = optString("kubeContext");
    const source = optString("source");
    const sourceProblem = source === undefined ? undefined : configuredSourceProblem(source);
    if (sourceProblem !== undefined) bad("source", sourceProblem, source);

    let training: TrainingConfig | undefined;
    const rawTraining = get("training");
    if (rawTraining !== undefined) {
        const t = rawTraining as Record<string, unknown>;
        const extra =
            typeof rawTraining === "object" && rawTraining !== null && !Array.isArray(rawTraining)
                ? Object.keys(t).filter((k) => k !== "datasetVersion" && k !== "command")
                : [];
        if (typeof rawTraining !== "object" || rawTraining === null || Array.isArray(rawTraining)) {
            bad("training", "expected a map with datasetVersion and optional command", rawTraining);
        } else if (extra.length > 0) {
            bad("training", `unknown key training.${extra[0]} (known: datasetVersion, command)`, rawTraining);
        } else if (typeof t.datasetVersion !== "string" || t.datasetVersion === "") {
            bad("training", "training.datasetVersion must be a non-empty string", t.datasetVersion ?? "");
        } else if (
            t.command !== undefined &&
            (!Array.isArray(t.command) || t.command.some((a) => typeof a !== "string"))
        ) {
            bad("training", "training.command must be a list of strings", t.command);
        } else {
            training = {
                datasetVersion: t.datasetVersion,
                ...(t.command !== undefined ? { command: t.command as string[] } : {}),
            };
        }
    }

    const signingKeys: string[] = [];
    const rawKeys = get("signingKey");
    if (rawKeys !== undefined) {
        const list = Array.isArray(rawKeys) ? (rawKeys as unknown[]) : [rawKeys];
        if (list.length === 0 || list.some((k) => typeof k !== "string" || k === "")) {
            bad("signingKey", "expected a public key path, or a list of them (key rotation)", rawKeys);
        } else {
            signingKeys.push(...(list as string[]));
        }
    }
    let requireSignature = SIGNED_BY_DEFAULT.includes(stack);
    const rawRequire = get("requireSignature");
    if (rawRequire === true || rawRequire === "true") requireSignature = true;
    else if (rawRequire === false || rawRequire === "false") requireSignature = false;
    else if (rawRequire !== undefined) bad("requireSignature", "expected true or false", rawRequire);
    if (problems.length > 0) {
        throw new StackConfigError(problems.join("\n"), problems);
    }
    const out: StackImageConfig = {
        stack,
        file,
        repository: repository as string,
        platforms,
        verifyDigest,
        namespace,
    };
    const optional = {
        channel,
        promoteFrom,
        digest,
        version,
        gitSha,
        promotedFrom,
        sourceRepository,
        build,
        kubeconfig,
        kubeContext,
        source,
        training,
        signingKeys: signingKeys.length > 0 ? signingKeys : undefined,
        requireSignature: requireSignature ? (true as const) : undefined,
    };
    for (const [k, v] of Object.entries(optional)) {
        if (v !== undefined) {
            (out as unknown as Record<string, unknown>)[k] = v;
        }
    }
    return out;
}
