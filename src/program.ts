import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    ChannelTag,
    DEFAULT_PULL_SECRET_NAME,
    MultiArchImage,
    PinnedDeployment,
    PinnedJob,
    pinWorkloads,
    PullSecret,
    VERIFY_CLIENT_OPTIONS,
    verificationFailure,
} from "./components";
import { checkPin, PinRefusal, Refusal, stackPinCheck, VerifiedPin } from "./flows";
import { RegistryClient } from "./registry";
import {
    assertCleanBuildContext,
    Channel,
    computeTagSet,
    contextCommitInfo,
    DirtyTreeError,
    PINNED_STACKS,
    readVersion,
    ReleaseRecord,
    resolveImageSource,
    sourceDateEpoch,
} from "./release";
import {
    deployablePins,
    imageKeyLabel,
    PROJECT,
    StackConfigError,
    stackFile,
    StackImageConfig,
    validateEngineStackConfig,
} from "./stackconfig";

const APP = "hello";

/**
 * The stack's `image-release:*` config as the YAML file holds it. The engine hands every value over
 * as a string, so lists, objects and booleans are decoded back from their JSON form.
 */
function stackConfigRecord(): Record<string, unknown> {
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
 * Each workload component depends on it, so on a fresh cluster the namespace exists before anything is
 * created in it (a component registers only once its dependencies are created, its children after it).
 */
function workloadOptions(stack: string, cfg: StackImageConfig): pulumi.ComponentResourceOptions {
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

/** The `release` export every stack has; the CLI and release notes read it. */
function releaseRecord(
    cfg: StackImageConfig,
    r: {
        version: string;
        digest: pulumi.Input<string>;
        ref: pulumi.Input<string>;
        tags: pulumi.Input<string[]>;
        platformDigests: pulumi.Input<Record<string, string>>;
        gitSha: string;
        sourceStack: string;
    },
): pulumi.Output<ReleaseRecord> {
    return pulumi
        .all([r.digest, r.ref, r.tags, r.platformDigests])
        .apply(([digest, ref, tags, platformDigests]) => ({
            repository: cfg.repository,
            version: r.version,
            digest,
            ref,
            tags,
            platforms: cfg.platforms,
            platformDigests,
            gitSha: r.gitSha,
            sourceStack: r.sourceStack,
        }));
}

/**
 * The stack's training Job, when `image-release:training` is set: the same verified digest as the
 * Deployment, so a training run and the service it feeds always run the same bytes.
 */
function trainingJob(
    cfg: StackImageConfig,
    digest: pulumi.Input<string>,
    gitSha: string,
    opts: pulumi.ComponentResourceOptions,
    signedBy?: string,
): Record<string, pulumi.Output<string>> | undefined {
    if (cfg.training === undefined) return undefined;
    const job = new PinnedJob(
        `${APP}-train`,
        {
            repository: cfg.repository,
            digest,
            gitSha,
            datasetVersion: cfg.training.datasetVersion,
            command: cfg.training.command,
            namespace: cfg.namespace,
            ...(signedBy !== undefined ? { signedBy } : {}),
        },
        opts,
    );
    return {
        name: job.jobName,
        image: job.image,
        digest: job.digest,
        gitSha: job.gitSha,
        datasetVersion: job.datasetVersion,
    };
}

/**
 * The directory of Pulumi.yaml. The engine runs the program from the directory of `main`
 * (src/), so paths in the stack config, which are relative to the project, resolve from here. Under
 * test mocks there is no engine (the mock root is not an absolute path) and tests run from the root.
 */
function projectRoot(): string {
    const root = pulumi.runtime.getRootDirectory();
    return path.isAbsolute(root) ? root : process.cwd();
}

/**
 * Every workload of the stack, the program's own and those a Helm chart or YAML creates, runs the
 * stack's pinned digests (the first image's signer is the one the pin check verified). staging and
 * prod refuse a workload image that is not a digest.
 */
function pinStackWorkloads(stack: string, cfg: StackImageConfig, signedBy?: string): void {
    const pins = Object.entries(cfg.images).filter(
        ([, i]) => i.digest !== undefined && i.version !== undefined && i.gitSha !== undefined,
    );
    const registries = Object.keys(cfg.pullCredentials ?? {});
    if (pins.length === 0 && registries.length === 0) return;
    const images = Object.fromEntries(
        pins.map(([name, i], n) => [
            name,
            {
                repository: i.repository,
                digest: i.digest as string,
                version: i.version as string,
                gitSha: i.gitSha as string,
                ...(i.promotedFrom !== undefined ? { promotedFrom: i.promotedFrom } : {}),
                ...(n === 0 && signedBy !== undefined ? { signedBy } : {}),
            },
        ]),
    );
    const strict = PINNED_STACKS.includes(stack) || PINNED_STACKS.includes(cfg.channel ?? "");
    pulumi.runtime.registerResourceTransform(
        pinWorkloads(images, {
            mode: strict ? "strict" : "rewrite",
            ...(cfg.allowImages !== undefined ? { allow: cfg.allowImages } : {}),
            keyLabel: (image, key) => imageKeyLabel(cfg, image, key),
            ...(registries.length > 0 ? { pullSecret: { name: DEFAULT_PULL_SECRET_NAME, registries } } : {}),
        }),
    );
}

/** dev: build once, push the tag set, deploy the digest that was just built. */
function runBuild(stack: string, cfg: StackImageConfig, build: { context: string; dockerfile: string }) {
    // The same version `image-release release` gives the build: version.json, else package.json, of the project.
    const version = cfg.version ?? readVersion(projectRoot());
    const context = path.resolve(projectRoot(), build.context);
    const commit = contextCommitInfo(context);
    const gitSha = cfg.gitSha ?? commit.sha;
    pinStackWorkloads(stack, cfg);
    // The git-<sha> tag and the revision label say "this is commit <sha>": only true of a clean context.
    if (cfg.gitSha === undefined) {
        assertCleanBuildContext(context, commit.sha, `${cfg.file}: image-release:build`, build.dockerfile);
    }
    const image = new MultiArchImage(APP, {
        context,
        dockerfile: build.dockerfile,
        repository: cfg.repository,
        version,
        gitSha,
        platforms: cfg.platforms,
        channel: cfg.channel as "dev" | undefined,
        sourceDateEpoch: sourceDateEpoch(process.env, commit.commitTime),
        source: resolveImageSource(context, cfg.source),
    });
    const k8sOpts = workloadOptions(stack, cfg);
    const deployment = new PinnedDeployment(
        APP,
        {
            repository: cfg.repository,
            digest: image.digest,
            version,
            gitSha,
            platforms: cfg.platforms,
            namespace: cfg.namespace,
            verifyDigest: cfg.verifyDigest,
        },
        k8sOpts,
    );
    const training = trainingJob(cfg, deployment.digest, gitSha, k8sOpts);
    const release = releaseRecord(cfg, {
        version,
        digest: image.digest,
        ref: image.ref,
        tags: image.tags,
        platformDigests: image.platformDigests,
        gitSha,
        sourceStack: stack,
    });
    return {
        digest: image.digest,
        ref: image.ref,
        tags: image.tags,
        platformDigests: image.platformDigests,
        release,
        ...(training ? { trainingJob: training } : {}),
    };
}

/**
 * The stack's pin check, once, before anything is registered: the digest is where the stack pulls it
 * (its repository, or its sourceRepository until `up` copies it), covers its platforms, and is signed
 * by a trusted key when the stack requires it. A refusal stops `pulumi preview` with its message alone;
 * the registry's is worded as PinnedDeployment's own check would word it.
 */
async function checkedPin(cfg: StackImageConfig, digest: string): Promise<VerifiedPin> {
    // One client for both steps: a token the first one fetched serves the second.
    const client = new RegistryClient(VERIFY_CLIENT_OPTIONS);
    try {
        return await checkPin(stackPinCheck(cfg, digest, projectRoot()), { client });
    } catch (e) {
        if (e instanceof PinRefusal && e.step === "registry") throw new Refusal(verificationFailure(APP, e));
        throw e;
    }
}

/** staging/prod: never build; deploy the pinned digest and move the channel tag to it. */
async function runPinned(stack: string, cfg: StackImageConfig, digest: string) {
    // Every pinned image must carry its version and git sha; the stack deploys its first (today's one).
    const [{ version, gitSha }] = deployablePins(cfg);
    // The signature is read where the digest is, so a required one is checked even without verifyDigest.
    const pin = cfg.verifyDigest || cfg.requireSignature ? await checkedPin(cfg, digest) : undefined;
    pinStackWorkloads(stack, cfg, pin?.signature?.keyId);
    const k8sOpts = workloadOptions(stack, cfg);
    const deployment = new PinnedDeployment(
        APP,
        {
            repository: cfg.repository,
            digest,
            version,
            gitSha,
            promotedFrom: cfg.promotedFrom,
            platforms: cfg.platforms,
            namespace: cfg.namespace,
            verifyDigest: cfg.verifyDigest,
            ...(cfg.verifyDigest && pin ? { verifiedPin: pin } : {}),
            ...(cfg.sourceRepository !== undefined ? { sourceRepository: cfg.sourceRepository } : {}),
            ...(pin?.signature ? { signedBy: pin.signature.keyId } : {}),
        },
        k8sOpts,
    );
    const training = trainingJob(cfg, deployment.digest, gitSha, k8sOpts, pin?.signature?.keyId);
    if (cfg.channel !== undefined) {
        // deployment.digest resolves only once the registry check passed, so a bad pin never moves the tag.
        new ChannelTag(
            `${APP}-${cfg.channel}`,
            { repository: cfg.repository, channel: cfg.channel, digest: deployment.digest },
            { dependsOn: [deployment] },
        );
    }
    const ref = `${cfg.repository}@${digest}`;
    const tags = computeTagSet({ version, gitSha, channel: cfg.channel as Channel }).tags;
    // The platform digests come from the registry check, so they are the registry's truth ({} when off).
    const release = releaseRecord(cfg, {
        version,
        digest,
        ref,
        tags,
        platformDigests: deployment.platformDigests,
        gitSha,
        sourceStack: cfg.promotedFrom ?? cfg.promoteFrom ?? stack,
    });
    return {
        digest,
        ref,
        tags,
        platformDigests: deployment.platformDigests,
        release,
        ...(training ? { trainingJob: training } : {}),
    };
}

/**
 * The program every stack runs. Config is validated in full before the first resource, so a bad
 * digest names `stacks/Pulumi.<stack>.yaml` and the key, and nothing is half-applied.
 */
async function configure(): Promise<Record<string, unknown>> {
    const stack = pulumi.getStack();
    const file = stackFile("stacks", stack);
    const config = stackConfigRecord();
    // Which keys the engine decrypted for the program (internal to the SDK's typings).
    const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
    const secretKeys = Object.keys(config).filter((k) => runtime.isConfigSecret(k));
    const cfg = validateEngineStackConfig(stack, file, config, secretKeys);
    if (cfg.digest !== undefined) {
        return await runPinned(stack, cfg, cfg.digest);
    }
    if (cfg.build !== undefined) {
        return runBuild(stack, cfg, cfg.build);
    }
    const problem = `${cfg.file}: image-release:digest: required (or image-release:build) (got "")`;
    throw new StackConfigError(problem, [problem]);
}

/**
 * Refusals of the stack's own config (a dirty build context, a pin the registry refuses) are the
 * user's to fix: they reach the engine as a RunError, which prints the message alone, without a
 * Node.js stack trace.
 */
async function run(): Promise<Record<string, unknown>> {
    try {
        return await configure();
    } catch (e) {
        if (e instanceof StackConfigError || e instanceof DirtyTreeError || e instanceof Refusal) {
            throw new pulumi.RunError(e.message);
        }
        throw e;
    }
}

export = run;
