import * as pulumi from "@pulumi/pulumi";
import type * as builderModule from "../builder";
import type * as flowsModule from "../flows";
import type * as registryModule from "../registry";
import type * as releaseModule from "../release";
import type * as signingModule from "../signing";
import { loadModule, MODULES } from "./loader";

export interface MultiArchImageInputs {
    context: string;
    dockerfile: string;
    repository: string;
    platforms: string[];
    buildArgs: Record<string, string>;
    labels: Record<string, string>;
    version: string;
    gitSha: string;
    sourceDateEpoch: number;
    tags: string[];
    /** Decides the diff; computed by the component with hashContext. */
    contextHash: string;
    credentials?: Record<string, registryModule.Credential>;
    /** Move an immutable tag that points elsewhere. Default false. */
    force?: boolean;
    /** Delete the index from the registry when the resource is deleted. Default false. */
    deleteFromRegistry?: boolean;
    /** Move X.Y, X, latest only when no higher release exists in their scope. Default true. */
    onlyIfHighest?: boolean;
    /** Platform → BuildKit address (README "Remote builders"); not a rebuild key: the digests are the same. */
    builders?: Record<string, string>;
}

export interface MultiArchImageOutputs extends MultiArchImageInputs {
    digest: string;
    ref: string;
    platformDigests: Record<string, string>;
    /** Requested floating tags left alone because a higher release owns them. */
    heldBackTags?: string[];
    /**
     * The key that signed the build (`sha256:<16 hex>`), when IMAGE_RELEASE_SIGNING_KEY was set in the
     * engine's environment: the signature, SBOM and provenance sit beside the index (cosign's layout).
     */
    signedBy?: string;
}

// Changing any of these means different image bytes: rebuild. The repository is the resource's identity.
const REBUILD_KEYS = [
    "contextHash",
    "dockerfile",
    "platforms",
    "buildArgs",
    "labels",
    "sourceDateEpoch",
] as const;

// Map key order is not preserved through the engine's state, so {A,B} and {B,A} must compare equal.
function canonical(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(canonical);
    if (v !== null && typeof v === "object") {
        const o = v as Record<string, unknown>;
        return Object.keys(o)
            .sort()
            .map((k) => [k, canonical(o[k])]);
    }
    return v;
}

function same(a: unknown, b: unknown): boolean {
    return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Pure so tests and the engine agree on what an update does. */
export function imageDiff(
    olds: MultiArchImageOutputs,
    news: MultiArchImageInputs,
): pulumi.dynamic.DiffResult {
    const replaces = olds.repository !== news.repository ? ["repository"] : [];
    const changed = [...REBUILD_KEYS, "tags", "version", "gitSha"].filter(
        (k) => !same(olds[k as keyof MultiArchImageInputs], news[k as keyof MultiArchImageInputs]),
    );
    // An absent flag and `false` mean the same; state written before a flag existed must not show a diff.
    for (const k of ["force", "deleteFromRegistry"] as const) if (!!olds[k] !== !!news[k]) changed.push(k);
    if ((olds.onlyIfHighest ?? true) !== (news.onlyIfHighest ?? true)) changed.push("onlyIfHighest");
    return {
        changes: replaces.length > 0 || changed.length > 0,
        replaces,
        deleteBeforeReplace: false,
    };
}

export function needsRebuild(olds: MultiArchImageOutputs, news: MultiArchImageInputs): boolean {
    return olds.repository !== news.repository || REBUILD_KEYS.some((k) => !same(olds[k], news[k]));
}

function client(inputs: MultiArchImageInputs): registryModule.RegistryClient {
    const registry = loadModule<typeof registryModule>(MODULES.registry);
    return new registry.RegistryClient({ credentials: inputs.credentials });
}

async function publish(inputs: MultiArchImageInputs): Promise<MultiArchImageOutputs> {
    // The private key never enters the program or the state: the provider reads it from its environment,
    // before the build, so a bad key or password fails before anything is pushed.
    const signing = loadModule<typeof signingModule>(MODULES.signing);
    const key = signing.signingKeyFromEnv();
    const flows = loadModule<typeof flowsModule>(MODULES.flows);
    const release = loadModule<typeof releaseModule>(MODULES.release);
    const { published, signed } = await flows.buildPushSign(
        {
            context: inputs.context,
            dockerfile: inputs.dockerfile,
            repository: inputs.repository,
            platforms: inputs.platforms,
            buildArgs: inputs.buildArgs,
            labels: inputs.labels,
            version: inputs.version,
            gitSha: inputs.gitSha,
            sourceDateEpoch: inputs.sourceDateEpoch,
            tags: inputs.tags,
            force: inputs.force,
            onlyIfHighest: inputs.onlyIfHighest,
            ...(inputs.builders !== undefined ? { builders: inputs.builders } : {}),
            ...(key ? { key } : {}),
        },
        {
            client: client(inputs),
            // A dynamic provider's output reaches `pulumi up` unstructured: one short line per layer, once done.
            onLayer: release.layerDoneLines((line) => process.stderr.write(line)),
        },
    );
    return {
        ...inputs,
        digest: published.digest,
        ref: published.ref,
        platformDigests: published.platformDigests,
        heldBackTags: published.heldBack,
        ...(signed ? { signedBy: signed.signature.keyId } : {}),
    };
}

/**
 * Build once, push one index, apply the tag set. A tags-only change retags the existing digest
 * without building. Delete leaves the registry alone unless `deleteFromRegistry` is set: a deleted
 * digest breaks every stack pinned to it (pulumi-docker-build#581).
 */
export const multiArchImageProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: MultiArchImageInputs): Promise<pulumi.dynamic.CreateResult> {
        const outs = await publish(inputs);
        return { id: outs.ref, outs };
    },

    async diff(_id: string, olds: MultiArchImageOutputs, news: MultiArchImageInputs) {
        return imageDiff(olds, news);
    },

    async update(
        _id: string,
        olds: MultiArchImageOutputs,
        news: MultiArchImageInputs,
    ): Promise<pulumi.dynamic.UpdateResult> {
        if (needsRebuild(olds, news)) return { outs: await publish(news) };
        const builder = loadModule<typeof builderModule>(MODULES.builder);
        const applied = await builder.applyTagSet({
            client: client(news),
            repository: news.repository,
            digest: olds.digest,
            version: news.version,
            tags: news.tags,
            force: news.force,
            onlyIfHighest: news.onlyIfHighest,
        });
        return {
            outs: {
                ...news,
                digest: olds.digest,
                ref: olds.ref,
                platformDigests: olds.platformDigests,
                heldBackTags: applied.heldBack,
                ...(olds.signedBy ? { signedBy: olds.signedBy } : {}),
            },
        };
    },

    async delete(_id: string, props: MultiArchImageOutputs): Promise<void> {
        if (props.deleteFromRegistry !== true) return;
        const registry = loadModule<typeof registryModule>(MODULES.registry);
        try {
            await client(props).deleteManifest(props.repository, props.digest, { confirm: true });
        } catch (e) {
            if (!(e instanceof registry.ManifestNotFoundError)) throw e;
        }
    },
};

export interface MultiArchImageResourceArgs {
    context: pulumi.Input<string>;
    dockerfile: pulumi.Input<string>;
    repository: pulumi.Input<string>;
    platforms: pulumi.Input<pulumi.Input<string>[]>;
    buildArgs: pulumi.Input<Record<string, string>>;
    labels: pulumi.Input<Record<string, string>>;
    version: pulumi.Input<string>;
    gitSha: pulumi.Input<string>;
    sourceDateEpoch: pulumi.Input<number>;
    tags: pulumi.Input<pulumi.Input<string>[]>;
    contextHash: pulumi.Input<string>;
    credentials?: pulumi.Input<Record<string, registryModule.Credential>>;
    force?: pulumi.Input<boolean>;
    deleteFromRegistry?: pulumi.Input<boolean>;
    onlyIfHighest?: pulumi.Input<boolean>;
    builders?: pulumi.Input<Record<string, string>>;
}

/** The dynamic resource behind the MultiArchImage component. @internal */
export class MultiArchImageResource extends pulumi.dynamic.Resource {
    declare public readonly digest: pulumi.Output<string>;
    declare public readonly ref: pulumi.Output<string>;
    declare public readonly tags: pulumi.Output<string[]>;
    declare public readonly platformDigests: pulumi.Output<Record<string, string>>;
    declare public readonly heldBackTags: pulumi.Output<string[]>;
    declare public readonly signedBy: pulumi.Output<string | undefined>;

    constructor(name: string, args: MultiArchImageResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            multiArchImageProvider,
            name,
            {
                digest: undefined,
                ref: undefined,
                platformDigests: undefined,
                heldBackTags: undefined,
                signedBy: undefined,
                ...args,
            },
            { ...opts, additionalSecretOutputs: ["credentials"] },
        );
    }
}
