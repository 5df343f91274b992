import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { checkPin, PinRefusal, pullSources, Refusal, VerifiedPin } from "../flows";
import {
    assertCleanBuildContext,
    computeTagSet,
    Channel,
    contextCommitInfo,
    copiedTags,
    buildVersion,
    resolveImageSource,
    sourceDateEpoch,
} from "../release";
import { RegistryCopyResource } from "../providers";
import { RegistryClient } from "../registry";
import { imageKeyLabel, PinnedImage, StackImageConfig } from "../stackconfig";
import { MultiArchImage } from "./multiArchImage";
import { platformDigestsOf, VERIFY_CLIENT_OPTIONS, verificationFailure } from "./pinVerification";

/** One image of the stack, built here (dev) or pinned by its config, as the stack's workloads run it. */
export interface StackImage {
    readonly name: string;
    readonly repository: string;
    readonly platforms: string[];
    readonly version: string;
    readonly gitSha: string;
    readonly promotedFrom?: string;
    /** Where a pinned digest is copied from into `repository`. */
    readonly sourceRepository?: string;
    /** The digest: a pinned one as the config writes it, a built one once it is pushed. */
    readonly digest: pulumi.Input<string>;
    /** `repository@digest`. */
    readonly ref: pulumi.Input<string>;
    readonly tags: pulumi.Input<string[]>;
    /** Platform -> manifest digest as the registry reported it; `{}` when the stack does not verify. */
    readonly platformDigests: pulumi.Input<Record<string, string>>;
    /** The pin check's answer (verifyDigest, or a required signature): digest, platforms, signature. */
    readonly verifiedPin?: VerifiedPin;
    /** The trusted key that signed the digest, when the stack requires a signature. */
    readonly signedBy?: string;
    /** What workloads running a pinned image wait for: its copy into `repository`, when the stack makes one. */
    readonly ready?: pulumi.CustomResource;
    /** The stack the digest was built in (dev) or promoted from. */
    readonly sourceStack: string;
}

/** dev: build the image once (only when its context changed), push its tag set. */
export function builtImage(
    name: string,
    image: PinnedImage,
    cfg: StackImageConfig,
    root: string,
): StackImage {
    const build = image.build as { context: string; dockerfile: string };
    const context = path.resolve(root, build.context);
    const version = buildVersion(image.version, context, root);
    const commit = contextCommitInfo(context);
    const gitSha = image.gitSha ?? commit.sha;
    // The git-<sha> tag and the revision label say "this is commit <sha>": only true of a clean context.
    if (image.gitSha === undefined) {
        const key = cfg.form === "set" ? `image-release:images.${name}.build` : "image-release:build";
        assertCleanBuildContext(context, commit.sha, `${cfg.file}: ${key}`, build.dockerfile);
    }
    const built = new MultiArchImage(name, {
        context,
        dockerfile: build.dockerfile,
        repository: image.repository,
        version,
        gitSha,
        platforms: image.platforms,
        channel: cfg.channel as "dev" | undefined,
        sourceDateEpoch: sourceDateEpoch(process.env, commit.commitTime),
        source: resolveImageSource(context, cfg.source),
        ...(imageBuilders(cfg, image.platforms) ?? {}),
    });
    return {
        name,
        repository: image.repository,
        platforms: image.platforms,
        version,
        gitSha,
        digest: built.digest,
        ref: built.ref,
        tags: built.tags,
        platformDigests: built.platformDigests,
        sourceStack: cfg.stack,
    };
}

/** The stack's builders for the platforms this image builds, when it has any. */
function imageBuilders(
    cfg: StackImageConfig,
    platforms: string[],
): { builders: Record<string, string> } | undefined {
    const mine = Object.entries(cfg.builders ?? {}).filter(([p]) => platforms.includes(p));
    return mine.length > 0 ? { builders: Object.fromEntries(mine) } : undefined;
}

/**
 * The image's pin check, before anything is registered: the digest is where the stack pulls it (its
 * repository, or its sourceRepository until `up` copies it), covers its platforms, and is signed by a
 * trusted key when the stack requires it. A refusal stops `pulumi preview` with its message alone.
 */
async function checkedPin(cfg: StackImageConfig, image: PinnedImage, name: string, root: string) {
    // One client for both steps: a token the first one fetched serves the second.
    const client = new RegistryClient(VERIFY_CLIENT_OPTIONS);
    const check = {
        digest: image.digest as string,
        repositories: pullSources(image),
        platforms: image.platforms,
        signature: { policy: cfg, root },
    };
    try {
        return await checkPin(check, { client });
    } catch (e) {
        if (e instanceof PinRefusal && e.step === "registry") {
            throw new Refusal(
                verificationFailure(name, e, `${cfg.file}: ${imageKeyLabel(cfg, name, "digest")}`),
            );
        }
        throw e;
    }
}

/**
 * staging/prod: the pinned digest, checked, and copied into the repository when it lives elsewhere
 * (unless `copiedByComponent`: a PinnedDeployment given `sourceRepository` copies it as its child).
 */
export async function pinnedImage(
    name: string,
    image: PinnedImage,
    cfg: StackImageConfig,
    root: string,
    copiedByComponent = false,
): Promise<StackImage> {
    const digest = image.digest as string;
    const version = image.version as string;
    const gitSha = image.gitSha as string;
    // The signature is read where the digest is, so a required one is checked even without verifyDigest.
    const pin =
        cfg.verifyDigest || cfg.requireSignature ? await checkedPin(cfg, image, name, root) : undefined;
    const ready =
        image.sourceRepository === undefined || copiedByComponent
            ? undefined
            : new RegistryCopyResource(`${name}-copy`, {
                  from: image.sourceRepository,
                  to: image.repository,
                  digest,
                  tags: copiedTags(version, gitSha),
              });
    return {
        name,
        repository: image.repository,
        platforms: image.platforms,
        version,
        gitSha,
        ...(image.promotedFrom !== undefined ? { promotedFrom: image.promotedFrom } : {}),
        ...(image.sourceRepository !== undefined ? { sourceRepository: image.sourceRepository } : {}),
        digest,
        ref: `${image.repository}@${digest}`,
        tags: computeTagSet({ version, gitSha, channel: cfg.channel as Channel }).tags,
        platformDigests: pin ? platformDigestsOf(pin.description) : {},
        ...(pin ? { verifiedPin: pin } : {}),
        ...(pin?.signature ? { signedBy: pin.signature.keyId } : {}),
        ...(ready ? { ready } : {}),
        sourceStack: image.promotedFrom ?? cfg.promoteFrom ?? cfg.stack,
    };
}
