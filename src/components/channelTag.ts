import * as pulumi from "@pulumi/pulumi";
import { RegistryTagResource } from "../providers";
import { digestProblems, isPlain, repositoryProblems, throwIfProblems } from "./validate";

export interface ChannelTagArgs {
    /** Repository without tag or digest. Required. */
    readonly repository: pulumi.Input<string>;
    /** The channel tag to move, e.g. `staging`. Required; must not be a version or `git-` tag. */
    readonly channel: pulumi.Input<string>;
    /** The stack's pinned digest, `sha256:<64 hex>`. Required. */
    readonly digest: pulumi.Input<string>;
}

/** A channel is a floating tag; versions and `git-` tags are immutable and never moved by a stack. */
export function channelProblems(channel: string | undefined): pulumi.InputPropertyErrorDetails[] {
    if (channel === undefined || channel === "") {
        return [{ propertyPath: "channel", reason: "is required" }];
    }
    if (!/^[a-z][a-z0-9-]{0,127}$/.test(channel) || channel.startsWith("git-")) {
        return [
            { propertyPath: "channel", reason: `is not a channel name like "staging" (got "${channel}")` },
        ];
    }
    return [];
}

/**
 * Moves `repository:<channel>` to the pinned digest by registry retag. A rollback is just an older
 * digest, so the tag moves back; destroying the stack leaves the tag in place (never deletes).
 */
export class ChannelTag extends pulumi.ComponentResource {
    public readonly ref: pulumi.Output<string>;
    public readonly tag: RegistryTagResource;

    constructor(name: string, args: ChannelTagArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("image-release:registry:ChannelTag", name, {}, opts);
        const problems = [
            ...(isPlain(args.repository) ? repositoryProblems("repository", args.repository) : []),
            ...(isPlain(args.channel) ? channelProblems(args.channel) : []),
            ...(isPlain(args.digest) ? digestProblems("digest", args.digest) : []),
        ];
        throwIfProblems("ChannelTag", name, problems);

        this.tag = new RegistryTagResource(
            `${name}-tag`,
            {
                repository: args.repository,
                // A digest that was an Output at construction gets the same check once it is known.
                digest: pulumi.output(args.digest).apply((d) => {
                    throwIfProblems("ChannelTag", name, digestProblems("digest", d));
                    return d;
                }),
                tag: args.channel,
            },
            { parent: this },
        );
        this.ref = pulumi.interpolate`${args.repository}:${args.channel}`;
        this.registerOutputs({ ref: this.ref });
    }
}
