import * as pulumi from "@pulumi/pulumi";
import { hashContext } from "../build";
import { MultiArchImageResource } from "../providers";
import {
    CHANNELS,
    computeTagSet,
    DEFAULT_PLATFORMS,
    gitCommitInfo,
    ociLabels,
    sourceDateEpoch,
} from "../release";
import {
    ArgProblem,
    isPlain,
    platformProblems,
    repositoryProblems,
    requiredStringProblems,
    throwIfProblems,
} from "./validate";

export interface RegistryCredentials {
    readonly username: string;
    readonly password: string;
}

export interface MultiArchImageArgs {
    /** Build context directory. Required. */
    readonly context: pulumi.Input<string>;
    /** Dockerfile path relative to `context`. Default: `Dockerfile`. */
    readonly dockerfile?: pulumi.Input<string>;
    /** Repository without tag or digest. Required. */
    readonly repository: pulumi.Input<string>;
    /** Semver release version `X.Y.Z`; drives the tag set. Required. */
    readonly version: pulumi.Input<string>;
    /** Source commit; gives the `git-<7>` tag and the revision label. Required. */
    readonly gitSha: pulumi.Input<string>;
    /** Platforms of the index. Default: `["linux/amd64","linux/arm64"]`. */
    readonly platforms?: pulumi.Input<string[]>;
    /** Build args. Default: none. */
    readonly buildArgs?: pulumi.Input<Record<string, string>>;
    /** Extra labels, merged over the OCI labels. Default: none. */
    readonly labels?: pulumi.Input<Record<string, string>>;
    /** Channel tag also pushed, e.g. `dev`. Default: none. */
    readonly channel?: pulumi.Input<"dev" | "staging" | "prod">;
    /** Also push `latest`. Default: false. Conflicts with channel `staging` or `prod`. */
    readonly allowLatest?: pulumi.Input<boolean>;
    /** Source URL for `org.opencontainers.image.source`. Default: none. */
    readonly source?: pulumi.Input<string>;
    /**
     * Seconds since the epoch; makes the `created` label and the layers reproducible.
     * Default: `$SOURCE_DATE_EPOCH`, else the commit time of `context`.
     * https://reproducible-builds.org/specs/source-date-epoch/
     */
    readonly sourceDateEpoch?: pulumi.Input<number>;
    /** Registry credentials by host; stored as secrets. Default: docker config. */
    readonly credentials?: pulumi.Input<Record<string, RegistryCredentials>>;
}

export function multiArchImageProblems(args: MultiArchImageArgs): ArgProblem[] {
    const problems: ArgProblem[] = [];
    if (isPlain(args.context)) problems.push(...requiredStringProblems("context", args.context));
    if (isPlain(args.repository)) problems.push(...repositoryProblems("repository", args.repository));
    if (isPlain(args.version)) {
        problems.push(...requiredStringProblems("version", args.version));
        if (args.version && !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(args.version)) {
            problems.push({
                propertyPath: "version",
                reason: `must be a semver version X.Y.Z (got "${args.version}")`,
            });
        }
    }
    if (isPlain(args.gitSha)) {
        problems.push(...requiredStringProblems("gitSha", args.gitSha));
        if (args.gitSha && !/^[0-9a-f]{7,40}$/.test(args.gitSha)) {
            problems.push({
                propertyPath: "gitSha",
                reason: `must be 7-40 lowercase hex characters (got "${args.gitSha}")`,
            });
        }
    }
    if (isPlain(args.platforms)) problems.push(...platformProblems("platforms", args.platforms));
    if (isPlain(args.dockerfile) && args.dockerfile === "") {
        problems.push({ propertyPath: "dockerfile", reason: 'must not be empty (got "")' });
    }
    if (
        isPlain(args.channel) &&
        args.channel !== undefined &&
        !(CHANNELS as readonly string[]).includes(args.channel)
    ) {
        problems.push({
            propertyPath: "channel",
            reason: `must be one of ${CHANNELS.join(", ")} (got "${String(args.channel)}")`,
        });
    }
    if (
        isPlain(args.allowLatest) &&
        args.allowLatest === true &&
        isPlain(args.channel) &&
        (args.channel === "staging" || args.channel === "prod")
    ) {
        // staging and prod run pinned digests; a moving `latest` from them would contradict the pin.
        problems.push({
            propertyPath: "allowLatest",
            reason: `conflicts with channel "${args.channel}" (only dev or no channel may move latest) (got "true")`,
        });
    }
    return problems;
}

/** `$SOURCE_DATE_EPOCH` wins; otherwise the commit time, so one commit always gives one `created`. */
export function defaultSourceDateEpoch(context: string, env: NodeJS.ProcessEnv = process.env): number {
    const raw = env.SOURCE_DATE_EPOCH;
    return sourceDateEpoch(env, raw !== undefined && raw !== "" ? 0 : gitCommitInfo(context).commitTime);
}

/** Builds once, pushes one OCI index and its whole tag set (all the same digest). */
export class MultiArchImage extends pulumi.ComponentResource {
    public readonly digest: pulumi.Output<string>;
    public readonly ref: pulumi.Output<string>;
    public readonly tags: pulumi.Output<string[]>;
    public readonly platformDigests: pulumi.Output<Record<string, string>>;
    public readonly labels: pulumi.Output<Record<string, string>>;
    public readonly contextHash: pulumi.Output<string>;
    public readonly image: MultiArchImageResource;

    constructor(name: string, args: MultiArchImageArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("image-release:image:MultiArchImage", name, {}, opts);
        throwIfProblems("MultiArchImage", name, multiArchImageProblems(args));

        const dockerfile = pulumi.output(args.dockerfile ?? "Dockerfile");
        const buildArgs = pulumi.output(args.buildArgs ?? {});
        const epoch =
            args.sourceDateEpoch !== undefined
                ? pulumi.output(args.sourceDateEpoch)
                : pulumi.output(args.context).apply((c) => defaultSourceDateEpoch(c));
        const tagSet = pulumi
            .all([args.version, args.gitSha, args.channel, args.allowLatest])
            .apply(([version, gitSha, channel, allowLatest]) =>
                computeTagSet({ version, gitSha, channel, allowLatest: allowLatest ?? false }),
            );
        const labels = pulumi
            .all([args.version, args.gitSha, args.source, epoch, args.labels])
            .apply(([version, gitSha, source, created, extra]) =>
                ociLabels({ version, revision: gitSha, source, created, extra }),
            );
        this.contextHash = pulumi
            .all([args.context, dockerfile, buildArgs])
            .apply(([context, df, ba]) => hashContext(context, df, ba));

        this.image = new MultiArchImageResource(
            `${name}-image`,
            {
                context: args.context,
                dockerfile,
                repository: args.repository,
                platforms: args.platforms ?? [...DEFAULT_PLATFORMS],
                buildArgs,
                labels,
                version: args.version,
                gitSha: args.gitSha,
                sourceDateEpoch: epoch,
                tags: tagSet.tags,
                contextHash: this.contextHash,
                credentials: args.credentials ? pulumi.secret(args.credentials) : undefined,
            },
            { parent: this },
        );
        this.digest = this.image.digest;
        this.ref = pulumi.interpolate`${args.repository}@${this.image.digest}`;
        this.tags = this.image.tags;
        this.platformDigests = this.image.platformDigests;
        this.labels = labels;
        this.registerOutputs({
            digest: this.digest,
            ref: this.ref,
            tags: this.tags,
            platformDigests: this.platformDigests,
            labels: this.labels,
        });
    }
}
