import * as pulumi from "@pulumi/pulumi";
import type * as registryModule from "../registry";
import type * as releaseModule from "../release";
import type * as signingModule from "../signing";
import { loadModule, MODULES } from "./loader";

export interface RegistryCopyInputs {
    /** The repository that holds the digest. */
    from: string;
    /** The repository the digest is copied into. */
    to: string;
    digest: string;
    /** Immutable tags (X.Y.Z, git-<sha>) to point at the digest in `to`, checked there first. */
    tags: string[];
    credentials?: Record<string, registryModule.Credential>;
}

export interface RegistryCopyOutputs extends RegistryCopyInputs {
    /** `to@digest`: what a workload pulls once the copy is done. */
    ref: string;
    /** Blob bytes this copy streamed into `to` (0 when it was already there or mounted). */
    bytesCopied: number;
}

export function copyDiff(olds: RegistryCopyOutputs, news: RegistryCopyInputs): pulumi.dynamic.DiffResult {
    const changed =
        olds.from !== news.from ||
        olds.to !== news.to ||
        olds.digest !== news.digest ||
        JSON.stringify(olds.tags ?? []) !== JSON.stringify(news.tags ?? []);
    // Never a replacement: a delete would have nothing to do (see the provider), so update in place.
    return { changes: changed, replaces: [], deleteBeforeReplace: false };
}

async function copy(inputs: RegistryCopyInputs): Promise<RegistryCopyOutputs> {
    const registry = loadModule<typeof registryModule>(MODULES.registry);
    const signing = loadModule<typeof signingModule>(MODULES.signing);
    const release = loadModule<typeof releaseModule>(MODULES.release);
    const client = new registry.RegistryClient({ credentials: inputs.credentials });
    const r = await registry.copyImage(client, {
        from: inputs.from,
        to: inputs.to,
        digest: inputs.digest,
        tags: inputs.tags,
        // The signature and attestations come along, so the target is verified on its own.
        artifactTags: signing.signatureArtifactTags(inputs.digest),
        // A dynamic provider's output reaches `pulumi up` unstructured: one short line per layer, once done.
        onLayer: release.layerDoneLines((line) => process.stderr.write(line)),
    });
    return { ...inputs, ref: `${inputs.to}@${inputs.digest}`, bytesCopied: r.bytesCopied };
}

/**
 * Puts a digest into another repository (another registry or path) by a byte-exact copy: blobs,
 * then manifests, then the index, so a rerun after an interruption finishes the job. Delete never
 * touches either registry: the copy may be pinned by another stack, and the source is only read.
 */
export const registryCopyProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: RegistryCopyInputs): Promise<pulumi.dynamic.CreateResult> {
        const outs = await copy(inputs);
        return { id: outs.ref, outs };
    },

    async diff(_id: string, olds: RegistryCopyOutputs, news: RegistryCopyInputs) {
        return copyDiff(olds, news);
    },

    async update(_id: string, _olds: RegistryCopyOutputs, news: RegistryCopyInputs) {
        return { outs: await copy(news) };
    },

    async delete(): Promise<void> {
        // Deliberately nothing: see the provider's doc comment.
    },
};

export interface RegistryCopyResourceArgs {
    from: pulumi.Input<string>;
    to: pulumi.Input<string>;
    digest: pulumi.Input<string>;
    tags: pulumi.Input<string[]>;
    credentials?: pulumi.Input<Record<string, registryModule.Credential>>;
}

/** A digest copied into a repository; the child of PinnedDeployment and ChannelTag when they copy. @internal */
export class RegistryCopyResource extends pulumi.dynamic.Resource {
    declare public readonly ref: pulumi.Output<string>;
    declare public readonly digest: pulumi.Output<string>;
    declare public readonly bytesCopied: pulumi.Output<number>;

    constructor(name: string, args: RegistryCopyResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            registryCopyProvider,
            name,
            { ref: undefined, bytesCopied: undefined, ...args },
            { ...opts, additionalSecretOutputs: ["credentials"] },
        );
    }
}
