import * as pulumi from "@pulumi/pulumi";
import { PINNED_STACKS, ReleaseRecord } from "../release";
import {
    deployablePins,
    imageKeyLabel,
    StackConfigError,
    stackFile,
    StackImageConfig,
    validateEngineStackConfig,
} from "../stackconfig";
import { GateMember, previewVerification, RejectedPin, rejectedPins } from "../flows";
import { RegistryClient } from "../registry";
import { admissionPolicy } from "./admissionPolicy";
import { ChannelTag } from "./channelTag";
import { DEFAULT_PULL_SECRET_NAME } from "./pullSecret";
import { programError } from "./engineErrors";
import { projectRoot, secretConfigKeys, stackConfigRecord, workloadOptions } from "./stackEnvironment";
import { builtImage, pinnedImage, StackImage } from "./stackImages";
import { rolloutTimeout } from "./rolloutTimeout";
import { VERIFY_CLIENT_OPTIONS } from "./pinVerification";
import { pinStackWorkloads, StackPin } from "./stackPins";

export { StackImage };

/** The pinned images as the verification gate reads them: where each digest was found. */
function gateMembers(images: Record<string, StackImage>): GateMember[] {
    return Object.values(images)
        .filter((i) => typeof i.digest === "string")
        .map((i) => ({
            image: i.name,
            repository: i.verifiedPin?.repository ?? i.repository,
            digest: i.digest as string,
        }));
}

/** Options of {@link releaseStack}. */
export interface ReleaseStackOptions {
    /**
     * The directory of the stack files, relative to the project root: Pulumi.yaml's `stackConfigDir`.
     * Default: `stacks`. Messages name `<stacksDir>/Pulumi.<stack>.yaml`.
     */
    readonly stacksDir?: string;
    /**
     * Which images (by name, and index in name order) the program deploys with its own
     * `PinnedDeployment` given the image's `sourceRepository`: the component copies the digest in as its
     * child, so the stack does not. Default: none (the stack copies every image with a `sourceRepository`).
     */
    readonly copiedByComponent?: (image: string, index: number) => boolean;
}

/** What a stack's program deploys on: its images, and the options its workloads take. */
export interface ReleaseStack {
    readonly stack: string;
    readonly config: StackImageConfig;
    /** The namespace the stack deploys into (created by the stack unless `createNamespace: false`). */
    readonly namespace: string;
    /** The stack's images by name, in name order: built (dev) or pinned and checked (staging, prod). */
    readonly images: Readonly<Record<string, StackImage>>;
    /** Options for every workload: the stack's provider, and a dependency on its namespace. */
    readonly workloadOptions: pulumi.ComponentResourceOptions;
    /**
     * The stack's outputs (`release`, `releases`, and the first image's `digest`, `ref`, `tags`,
     * `platformDigests`), once `workloads` are applied: the channel tag of each image moves only then.
     */
    exports(workloads?: pulumi.Resource[]): Record<string, unknown>;
}

/** The record `promote`, `notes` and `history` read of one image. */
function releaseRecord(image: StackImage): pulumi.Output<ReleaseRecord> {
    return pulumi
        .all([image.digest, image.ref, image.tags, image.platformDigests])
        .apply(([digest, ref, tags, platformDigests]) => ({
            repository: image.repository,
            version: image.version,
            digest,
            ref,
            tags,
            platforms: image.platforms,
            platformDigests,
            gitSha: image.gitSha,
            sourceStack: image.sourceStack,
        }));
}

/**
 * Every image is built (it has a build) or pinned (a digest, with the version and git sha it was built
 * from), checked for every image before the first resource.
 */
function checkBuildOrPin(cfg: StackImageConfig): void {
    const problems: string[] = [];
    for (const name of Object.keys(cfg.images).sort()) {
        const image = cfg.images[name];
        if (image.digest === undefined && image.build === undefined) {
            const label = (key: string) => imageKeyLabel(cfg, name, key);
            problems.push(`${cfg.file}: ${label("digest")}: required (or ${label("build")}) (got "")`);
        }
    }
    if (problems.length > 0) throw new StackConfigError(problems.join("\n"), problems);
    const pinned = Object.entries(cfg.images).filter(([, i]) => i.digest !== undefined);
    deployablePins({ ...cfg, images: Object.fromEntries(pinned) });
}

/**
 * Every workload of the stack runs the stack's digests; staging and prod refuse any other image. Each
 * workload waits for `before`, which the program fills once it has made the admission policy.
 */
function pinTheWorkloads(
    stack: string,
    cfg: StackImageConfig,
    images: Record<string, StackImage>,
    before: pulumi.Resource[],
): void {
    const pins: Record<string, StackPin> = {};
    for (const image of Object.values(images)) {
        pins[image.name] = {
            repository: image.repository,
            digest: image.digest,
            version: image.version,
            gitSha: image.gitSha,
            ...(image.promotedFrom !== undefined ? { promotedFrom: image.promotedFrom } : {}),
            ...(image.signedBy !== undefined ? { signedBy: image.signedBy } : {}),
        };
    }
    const strict = strictStack(stack, cfg);
    const registries = Object.keys(cfg.pullCredentials ?? {});
    pulumi.runtime.registerResourceTransform(
        pinStackWorkloads(
            pins,
            {
                mode: strict ? "strict" : "rewrite",
                ...(cfg.allowImages !== undefined ? { allow: cfg.allowImages } : {}),
                keyLabel: (image, key) => imageKeyLabel(cfg, image, key),
                ...(registries.length > 0
                    ? { pullSecret: { name: DEFAULT_PULL_SECRET_NAME, registries } }
                    : {}),
            },
            before,
        ),
    );
}

/**
 * staging and prod: the namespace's ValidatingAdmissionPolicy, so that what runs outside Pulumi
 * (`kubectl`, Helm) is held to the same pins; the stack's workloads change after it.
 */
function withAdmissionPolicy(
    stack: string,
    cfg: StackImageConfig,
    images: Record<string, StackImage>,
    options: pulumi.ComponentResourceOptions,
    guarded: pulumi.Resource[],
    rejected: RejectedPin[],
): pulumi.ComponentResourceOptions {
    if (!strictStack(stack, cfg) || cfg.admissionPolicy === false) return options;
    const provider = (options.providers as Record<string, pulumi.ProviderResource> | undefined)?.kubernetes;
    const pins = Object.values(images).map((i) => ({ repository: i.repository }));
    const guard = admissionPolicy(
        {
            stack,
            file: cfg.file,
            namespace: cfg.namespace,
            pins,
            ...(cfg.allowImages ? { allow: cfg.allowImages } : {}),
            rejected,
        },
        { ...(provider ? { provider } : {}), ...(options.dependsOn ? { dependsOn: options.dependsOn } : {}) },
    );
    // Workloads of a chart or YAML wait for it too: the transform adds it to their options.
    guarded.push(...guard);
    const before = (options.dependsOn as pulumi.Resource[] | undefined) ?? [];
    return { ...options, dependsOn: [...before, ...guard] };
}

/** staging and prod deploy only digests: the transform refuses others, the admission policy too. */
function strictStack(stack: string, cfg: StackImageConfig): boolean {
    return PINNED_STACKS.includes(stack) || PINNED_STACKS.includes(cfg.channel ?? "");
}

/** Moves each pinned image's channel tag once the workloads that run it were applied. */
function channelTags(cfg: StackImageConfig, images: StackImage[], workloads: pulumi.Resource[]): void {
    if (cfg.channel === undefined || !PINNED_STACKS.includes(cfg.stack)) return;
    for (const image of images) {
        new ChannelTag(
            `${image.name}-${cfg.channel}`,
            { repository: image.repository, channel: cfg.channel, digest: image.digest },
            { dependsOn: [...workloads, ...(image.ready ? [image.ready] : [])] },
        );
    }
}

/**
 * The release side of a stack's program: reads and checks `image-release:*` config in full before the
 * first resource (a bad digest names the stack file and the key); in dev builds each image whose
 * context changed, elsewhere checks each pinned digest in the registry (platforms, signature) and copies
 * it in when it lives in another repository; creates the stack's namespace; and registers the stack
 * transform that pins every Kubernetes workload the program then declares (its own, a Helm chart's,
 * plain YAML's) to those digests. A team's program is this, its workloads, and the exports:
 *
 * ```ts
 * export = async () => {
 *     const stack = await releaseStack();
 *     const api = new k8s.helm.v4.Chart("api", { chart: "./chart", namespace: stack.namespace }, stack.workloadOptions);
 *     return stack.exports([api]);
 * };
 * ```
 */
export async function releaseStack(o: ReleaseStackOptions = {}): Promise<ReleaseStack> {
    try {
        return await stackOf(o);
    } catch (e) {
        // A refusal stops the preview with its message alone (engineErrors: and fast).
        throw programError(e);
    }
}

async function stackOf(o: ReleaseStackOptions): Promise<ReleaseStack> {
    const stack = pulumi.getStack();
    const root = projectRoot();
    const config = stackConfigRecord();
    const file = stackFile(o.stacksDir ?? "stacks", stack);
    const cfg = validateEngineStackConfig(stack, file, config, secretConfigKeys(config));
    checkBuildOrPin(cfg);
    const images: Record<string, StackImage> = {};
    const names = Object.keys(cfg.images).sort();
    for (const [index, name] of names.entries()) {
        const image = cfg.images[name];
        const byComponent = o.copiedByComponent?.(name, index) === true;
        images[name] =
            image.digest !== undefined
                ? await pinnedImage(name, image, cfg, root, byComponent)
                : builtImage(name, image, cfg, root);
    }
    const client = new RegistryClient(VERIFY_CLIENT_OPTIONS);
    await previewVerification(cfg, root, gateMembers(images), client);
    const rejected =
        strictStack(stack, cfg) && cfg.admissionPolicy !== false
            ? await rejectedPins(cfg, root, gateMembers(images), client)
            : [];
    const guard: pulumi.Resource[] = [];
    pinTheWorkloads(stack, cfg, images, guard);
    if (cfg.rolloutTimeoutSeconds !== undefined) {
        pulumi.runtime.registerResourceTransform(rolloutTimeout(cfg.rolloutTimeoutSeconds));
    }
    const options = withAdmissionPolicy(stack, cfg, images, workloadOptions(stack, cfg), guard, rejected);
    return {
        stack,
        config: cfg,
        namespace: cfg.namespace,
        images,
        workloadOptions: options,
        exports: (workloads = []) => {
            const list = Object.values(images);
            channelTags(cfg, list, workloads);
            const first = list[0];
            const releases = Object.fromEntries(list.map((i) => [i.name, releaseRecord(i)]));
            return {
                digest: first.digest,
                ref: first.ref,
                tags: first.tags,
                platformDigests: first.platformDigests,
                release: releases[first.name],
                releases,
            };
        },
    };
}
