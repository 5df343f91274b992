import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChannelTag, MultiArchImage, PinnedDeployment, PinnedJob } from "./components";
import {
    assertCleanBuildContext,
    Channel,
    computeTagSet,
    DirtyTreeError,
    gitCommitInfo,
    ReleaseRecord,
    resolveImageSource,
    sourceDateEpoch,
} from "./release";
import { PROJECT, StackConfigError, stackFile, StackImageConfig, validateStackConfig } from "./stackconfig";

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

function packageVersion(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("../package.json") as { version: string }).version;
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

/** dev: build once, push the tag set, deploy the digest that was just built. */
function runBuild(stack: string, cfg: StackImageConfig, build: { context: string; dockerfile: string }) {
    const version = cfg.version ?? packageVersion();
    const commit = gitCommitInfo(build.context);
    const gitSha = cfg.gitSha ?? commit.sha;
    // The git-<sha> tag and the revision label say "this is commit <sha>": only true of a clean context.
    if (cfg.gitSha === undefined) {
        assertCleanBuildContext(path.resolve(build.context), commit.sha, `${cfg.file}: image-release:build`);
    }
    const image = new MultiArchImage(APP, {
        context: path.resolve(build.context),
        dockerfile: build.dockerfile,
        repository: cfg.repository,
        version,
        gitSha,
        platforms: cfg.platforms,
        channel: cfg.channel as "dev" | undefined,
        sourceDateEpoch: sourceDateEpoch(process.env, commit.commitTime),
        source: resolveImageSource(build.context, cfg.source),
    });
    const k8sOpts = kubernetesOptions(stack, cfg);
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

/** staging/prod: never build; deploy the pinned digest and move the channel tag to it. */
function runPinned(stack: string, cfg: StackImageConfig, digest: string) {
    const missing = (["version", "gitSha"] as const).filter((k) => cfg[k] === undefined);
    if (missing.length > 0) {
        const problems = missing.map(
            (k) => `${cfg.file}: image-release:${k}: required with image-release:digest (got "")`,
        );
        throw new StackConfigError(problems.join("\n"), problems);
    }
    const version = cfg.version as string;
    const gitSha = cfg.gitSha as string;
    const k8sOpts = kubernetesOptions(stack, cfg);
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
        },
        k8sOpts,
    );
    const training = trainingJob(cfg, deployment.digest, gitSha, k8sOpts);
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
function configure(): Record<string, unknown> {
    const stack = pulumi.getStack();
    const file = stackFile("stacks", stack);
    const cfg = validateStackConfig(stack, file, stackConfigRecord());
    if (cfg.digest !== undefined) {
        return runPinned(stack, cfg, cfg.digest);
    }
    if (cfg.build !== undefined) {
        return runBuild(stack, cfg, cfg.build);
    }
    const problem = `${cfg.file}: image-release:digest: required (or image-release:build) (got "")`;
    throw new StackConfigError(problem, [problem]);
}

/**
 * Refusals of the stack's own config (and of a dirty build context) are the user's to fix: they reach
 * the engine as a RunError, which prints the message alone, without a Node.js stack trace.
 */
function run(): Record<string, unknown> {
    try {
        return configure();
    } catch (e) {
        if (e instanceof StackConfigError || e instanceof DirtyTreeError)
            throw new pulumi.RunError(e.message);
        throw e;
    }
}

export = run;
