import * as pulumi from "@pulumi/pulumi";
import type * as registryModule from "../registry";
import { loadModule, MODULES } from "./loader";

export interface RegistryTagInputs {
    repository: string;
    digest: string;
    tag: string;
    /** Allow moving an immutable (X.Y.Z, git-) tag. Default false. */
    force?: boolean;
    credentials?: Record<string, registryModule.Credential>;
}

export interface RegistryTagOutputs extends RegistryTagInputs {
    ref: string;
    /** Where the tag pointed before this resource first moved it; absent if it did not exist. */
    previousDigest?: string;
}

export function tagDiff(olds: RegistryTagOutputs, news: RegistryTagInputs): pulumi.dynamic.DiffResult {
    const replaces = (["repository", "tag"] as const).filter((k) => olds[k] !== news[k]);
    const changes = replaces.length > 0 || olds.digest !== news.digest || !!olds.force !== !!news.force;
    return { changes, replaces, deleteBeforeReplace: false };
}

async function retag(inputs: RegistryTagInputs): Promise<RegistryTagOutputs> {
    const registry = loadModule<typeof registryModule>(MODULES.registry);
    const client = new registry.RegistryClient({ credentials: inputs.credentials });
    const r = await client.retag(inputs.repository, inputs.digest, inputs.tag, { force: inputs.force });
    return {
        ...inputs,
        ref: `${inputs.repository}:${inputs.tag}`,
        ...(r.previousDigest && r.previousDigest !== inputs.digest
            ? { previousDigest: r.previousDigest }
            : {}),
    };
}

/**
 * Points `repository:tag` at a digest by registry retag (GET the manifest, PUT the same bytes): no pull,
 * no push, no layer moved. Delete never touches the registry: distribution 2.x cannot remove a tag
 * without deleting the digest under it, and that digest may be pinned by another stack.
 */
export const registryTagProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: RegistryTagInputs): Promise<pulumi.dynamic.CreateResult> {
        const outs = await retag(inputs);
        return { id: outs.ref, outs };
    },

    async diff(_id: string, olds: RegistryTagOutputs, news: RegistryTagInputs) {
        return tagDiff(olds, news);
    },

    async update(_id: string, olds: RegistryTagOutputs, news: RegistryTagInputs) {
        const outs = await retag(news);
        return { outs: { ...outs, ...(olds.previousDigest ? { previousDigest: olds.previousDigest } : {}) } };
    },

    async delete(): Promise<void> {
        // Deliberately nothing: see the provider's doc comment.
    },
};

export interface RegistryTagResourceArgs {
    repository: pulumi.Input<string>;
    digest: pulumi.Input<string>;
    tag: pulumi.Input<string>;
    force?: pulumi.Input<boolean>;
    credentials?: pulumi.Input<Record<string, registryModule.Credential>>;
}

/** A tag moved by retag; the ChannelTag component's child. @internal */
export class RegistryTagResource extends pulumi.dynamic.Resource {
    declare public readonly ref: pulumi.Output<string>;
    declare public readonly digest: pulumi.Output<string>;
    declare public readonly previousDigest: pulumi.Output<string | undefined>;

    constructor(name: string, args: RegistryTagResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            registryTagProvider,
            name,
            { ref: undefined, previousDigest: undefined, ...args },
            { ...opts, additionalSecretOutputs: ["credentials"] },
        );
    }
}
