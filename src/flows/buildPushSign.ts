import * as fs from "fs";
import * as path from "path";
import { PublishOptions, PublishResult, publishImage } from "../builder";
import { GitError, LayerProgress, runGit } from "../release";
import { RegistryClient } from "../registry";
import { builderVersion, ProvenanceInput, SignedRelease, SigningKey, signRelease } from "../signing";
import { recordBuild, registryBuildMemory } from "./buildMemory";

/** src/builder's publishImage, or a fault-injecting stand-in in tests. */
export type PublishFn = (o: PublishOptions) => Promise<PublishResult>;

/** One build of one commit: what the engine builds, the tags it gets, and the key that signs it. */
export interface BuildPushSignOptions extends Omit<
    PublishOptions,
    "client" | "onProgress" | "onLayer" | "engine"
> {
    /**
     * Signs the index and attaches its SBOM and provenance when given. The caller reads it (from the
     * environment) before calling, so a bad key or password fails before the build, not after the push.
     */
    key?: SigningKey;
}

export interface BuildPushSignDeps {
    client: RegistryClient;
    /** Default: src/builder's publishImage. */
    publish?: PublishFn;
    onProgress?: (line: string) => void;
    /** Per-layer byte progress of the build's compression and upload. */
    onLayer?: (e: LayerProgress) => void;
}

export interface BuiltImage {
    published: PublishResult;
    /** Present when a key was given: the signature and the SBOM and provenance attestations. */
    signed?: SignedRelease;
}

const SOURCE = "org.opencontainers.image.source";

/**
 * The Dockerfile as the provenance names it: relative to the root of the git repository that holds the
 * context, so `examples/hello/Dockerfile` and not a bare `Dockerfile` that loses the context. A context
 * outside any git repository keeps the path relative to the context.
 */
export function provenanceDockerfile(context: string, dockerfile: string): string {
    let root: string;
    try {
        root = runGit(context, ["rev-parse", "--show-toplevel"]).trim();
    } catch (e) {
        if (e instanceof GitError) return dockerfile;
        throw e;
    }
    return path
        .relative(root, path.join(fs.realpathSync(context), dockerfile))
        .split(path.sep)
        .join("/");
}

/**
 * What the SLSA provenance records of a build: the same inputs whichever face asked for it (the
 * `release` command or the MultiArchImage provider), taken from the build's own options.
 */
export function provenanceInput(o: BuildPushSignOptions, buildKey?: string): ProvenanceInput {
    return {
        source: o.labels?.[SOURCE] ?? "",
        gitSha: o.gitSha,
        version: o.version,
        platforms: o.platforms,
        buildArgs: o.buildArgs ?? {},
        sourceDateEpoch: o.sourceDateEpoch,
        dockerfile: provenanceDockerfile(o.context, o.dockerfile ?? "Dockerfile"),
        builderVersion: builderVersion(),
        ...(buildKey !== undefined ? { buildKey } : {}),
    };
}

/**
 * Build once, push one index with the tag set, then sign it by digest: the one build-push-sign that
 * both the CLI's `release` and the MultiArchImage provider run.
 */
export async function buildPushSign(o: BuildPushSignOptions, deps: BuildPushSignDeps): Promise<BuiltImage> {
    const { key, ...build } = o;
    const publish = deps.publish ?? publishImage;
    const published = await publish({
        ...build,
        client: deps.client,
        ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
        ...(deps.onLayer ? { onLayer: deps.onLayer } : {}),
        // Only a signed release can be vouched for later: without a key the registry keeps no record.
        ...(key ? { remembered: registryBuildMemory(deps.client, o.repository, key) } : {}),
    });
    if (!key) return { published };
    const signed = await signRelease(
        deps.client,
        o.repository,
        published.digest,
        key,
        provenanceInput(o, published.buildKey),
    );
    // Filed after the signature and provenance exist, so a record is never there before its proof.
    await recordBuild(deps.client, o.repository, published.buildKey, published.digest);
    return { published, signed };
}
