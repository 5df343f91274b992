import * as pulumi from "@pulumi/pulumi";
import { isChannelTag } from "../release";
import { RegistryTagResource } from "../providers";
import { imageCopy, sourceRepositoryProblems } from "./imageCopy";
import type { RegistryCredentials } from "./multiArchImage";
import { checkedArgs, digestProblems, isPlain, repositoryProblems } from "./validate";

export interface ChannelTagArgs {
    /**
     * Repository without tag or digest, e.g. `127.0.0.1:5000/image-release/hello`. Required; no default.
     * Conflicts with a `:tag` or `@digest` suffix (the tag is `channel`, the digest is `digest`).
     * https://github.com/distribution/distribution/blob/main/docs/content/spec/api.md#overview
     */
    readonly repository: pulumi.Input<string>;
    /**
     * The floating tag to move, e.g. `staging`. Required; no default. Conflicts with immutable tags:
     * a version (`1.4.2`) or `git-<sha>` tag is refused, those name one build forever.
     * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
     */
    readonly channel: pulumi.Input<string>;
    /**
     * The stack's pinned index digest, `sha256:<64 hex>`. Required; no default. Conflicts with tags
     * and short digests, which are refused. Pass `PinnedDeployment.digest` so the tag moves only
     * after the Deployment was applied.
     * https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
     */
    readonly digest: pulumi.Input<string>;
    /**
     * Registry credentials by host (`{"127.0.0.1:5001": {username, password}}`), stored as a secret in
     * state. Default: none, the registry client then reads the docker config (`~/.docker/config.json`).
     * Conflicts with nothing; a host missing here falls back to the docker config.
     * https://docs.docker.com/reference/cli/docker/login/#credential-stores
     */
    readonly credentials?: pulumi.Input<Record<string, RegistryCredentials>>;
    /**
     * The repository the digest is copied from when `repository` does not hold it yet (another
     * registry, or another path on the same one): the copy runs first, so the tag never names a digest
     * the repository lacks. Default: none. Conflicts with `repository` itself.
     * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#mounting-a-blob-from-another-repository
     */
    readonly sourceRepository?: pulumi.Input<string>;
}

/** A channel is a floating tag; versions and `git-` tags are immutable and never moved by a stack. */
export function channelProblems(channel: string | undefined): pulumi.InputPropertyErrorDetails[] {
    if (channel === undefined || channel === "") {
        return [{ propertyPath: "channel", reason: "is required" }];
    }
    if (!isChannelTag(channel)) {
        return [
            { propertyPath: "channel", reason: `is not a channel name like "staging" (got "${channel}")` },
        ];
    }
    return [];
}

/** Every problem with the plain (known) args. */
export function channelTagProblems(
    args: Pick<ChannelTagArgs, "repository" | "channel" | "digest" | "sourceRepository">,
): pulumi.InputPropertyErrorDetails[] {
    return [
        ...(isPlain(args.repository) ? repositoryProblems("repository", args.repository) : []),
        ...(isPlain(args.sourceRepository) && isPlain(args.repository)
            ? sourceRepositoryProblems(args.sourceRepository, args.repository)
            : []),
        ...(isPlain(args.channel) ? channelProblems(args.channel) : []),
        ...(isPlain(args.digest) ? digestProblems("digest", args.digest) : []),
    ];
}

/**
 * Moves `repository:<channel>` to the pinned digest by registry retag. A rollback is just an older
 * digest, so the tag moves back; destroying the stack leaves the tag in place (never deletes).
 */
export class ChannelTag extends pulumi.ComponentResource {
    public readonly ref: pulumi.Output<string>;
    /** The dynamic resource that moves the tag (a CustomResource, for `dependsOn`). */
    public readonly tag: pulumi.CustomResource;
    /** The copy of the digest into `repository`, when `sourceRepository` is set. */
    public readonly copy?: pulumi.CustomResource;

    constructor(name: string, args: ChannelTagArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("image-release:registry:ChannelTag", name, {}, opts);
        // Args that are Outputs skip the constructor's check; they get the same rules, and the same single
        // error naming every bad arg, once known and before the retag reaches the engine.
        const checked = checkedArgs(
            "ChannelTag",
            name,
            {
                repository: args.repository,
                channel: args.channel,
                digest: args.digest,
                sourceRepository: args.sourceRepository,
            },
            channelTagProblems,
        );
        // A plain arg was checked above and stays plain, so a preview with an unknown digest still knows
        // which tag moves (the provider diffs repository and tag to choose update or replace).
        const repository = isPlain(args.repository) ? args.repository : checked.repository;
        const channel = isPlain(args.channel) ? args.channel : checked.channel;

        this.copy = imageCopy(
            name,
            args.sourceRepository,
            checked,
            { tags: [], credentials: args.credentials },
            this,
            opts.dependsOn,
        );
        this.tag = new RegistryTagResource(
            `${name}-tag`,
            {
                repository,
                digest: checked.digest,
                tag: channel,
                credentials: args.credentials ? pulumi.secret(args.credentials) : undefined,
            },
            // A component's dependsOn does not reach its children; without it the retag runs in
            // parallel with (and regardless of) the Deployment the caller made it depend on.
            { parent: this, dependsOn: this.copy ? [this.copy] : opts.dependsOn },
        );
        // Outputs come from the checked args, so a refused ChannelTag never reports a ref.
        this.ref = pulumi.interpolate`${repository}:${channel}`;
        this.registerOutputs({ ref: this.ref });
    }
}
