import * as pulumi from "@pulumi/pulumi";
import type { Credential } from "../registry";
import * as semver from "semver";
import { buildArgsProblem, hashContext } from "../builder";
import { MultiArchImageResource } from "../providers";
import {
    CHANNELS,
    computeTagSet,
    builderProblems,
    DEFAULT_PLATFORMS,
    contextCommitInfo,
    isGitSha,
    isSemver,
    ociLabels,
    PINNED_STACKS,
    sourceDateEpoch,
} from "../release";
import {
    ArgProblem,
    checkedArgs,
    isPlain,
    platformProblems,
    repositoryProblems,
    requiredStringProblems,
} from "./validate";

/** A registry login, as the registry client takes it. */
export type RegistryCredentials = Credential;

export interface MultiArchImageArgs {
    /**
     * Build context directory; also where the commit time and the source URL are read from. Required;
     * no default. Conflicts with nothing.
     * https://docs.docker.com/build/concepts/context/
     */
    readonly context: pulumi.Input<string>;
    /**
     * Dockerfile path relative to `context`. Default: `Dockerfile`. Conflicts with an empty string.
     * https://docs.docker.com/reference/dockerfile/
     */
    readonly dockerfile?: pulumi.Input<string>;
    /**
     * Repository without tag or digest, e.g. `127.0.0.1:5000/image-release/hello`. Required; no default.
     * Conflicts with a `:tag` or `@digest` suffix: the tags come from `version`, `gitSha` and `channel`.
     * https://github.com/distribution/reference/blob/main/reference.go
     */
    readonly repository: pulumi.Input<string>;
    /**
     * Semver release version `X.Y.Z[-pre]` (a leading `v` is stripped); gives the `X.Y.Z`, `X.Y` and `X`
     * tags and the `org.opencontainers.image.version` label. Required; no default. Conflicts with build
     * metadata (`+…`), which no image tag can carry.
     * https://semver.org/#spec-item-2
     */
    readonly version: pulumi.Input<string>;
    /**
     * Source commit (7-40 lowercase hex); gives the `git-<7>` tag and the `org.opencontainers.image.revision`
     * label. Required; no default. Conflicts with nothing.
     * https://github.com/opencontainers/image-spec/blob/main/annotations.md#pre-defined-annotation-keys
     */
    readonly gitSha: pulumi.Input<string>;
    /**
     * Platforms of the OCI index, `os/arch[/variant]`. Default: `["linux/amd64","linux/arm64"]`.
     * Conflicts with an empty list.
     * https://github.com/opencontainers/image-spec/blob/main/image-index.md#image-index-property-descriptions
     */
    readonly platforms?: pulumi.Input<string[]>;
    /**
     * Dockerfile `ARG` values; part of the context hash, so a change rebuilds. Default: none (`{}`).
     * Conflicts with the args the builder always sets: `VERSION` (from `version`), `GIT_SHA` (from
     * `gitSha`) and `SOURCE_DATE_EPOCH` (from `sourceDateEpoch`), which a Dockerfile reads with `ARG`.
     * https://docs.docker.com/reference/dockerfile/#arg
     */
    readonly buildArgs?: pulumi.Input<Record<string, string>>;
    /**
     * Extra labels, added to the computed OCI labels. Default: none. Conflicts with the computed
     * `org.opencontainers.image.{source,version,revision,created}` keys, which it may not override.
     * https://github.com/opencontainers/image-spec/blob/main/annotations.md
     */
    readonly labels?: pulumi.Input<Record<string, string>>;
    /**
     * Channel tag also pushed, e.g. `dev`. Default: none. Conflicts with `allowLatest: true` when it is
     * `staging` or `prod`; must be one of `dev`, `staging`, `prod`.
     * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-manifests
     */
    readonly channel?: pulumi.Input<"dev" | "staging" | "prod">;
    /**
     * Also push `latest` (skipped for a pre-release). Default: `false`. Conflicts with channel `staging`
     * or `prod`, whose stacks run pinned digests.
     * https://docs.docker.com/reference/cli/docker/image/tag/
     */
    readonly allowLatest?: pulumi.Input<boolean>;
    /**
     * Platform → BuildKit address (`tcp://host:port` or `unix:///path`): those platforms build on that
     * BuildKit daemon through `buildctl`, the rest on the local engine. Default: none. Each must be one
     * of `platforms`. The digests, and so the diff, do not depend on it. README "Remote builders".
     * https://docs.docker.com/build/builders/drivers/remote/
     */
    readonly builders?: pulumi.Input<Record<string, string>>;
    /**
     * Source repository URL for the `org.opencontainers.image.source` label. Default: none (the program
     * resolves it from config, the git remote or package.json; the `oci-labels-present` policy requires
     * it). Conflicts with a `source` key in `labels`.
     * https://github.com/opencontainers/image-spec/blob/main/annotations.md#pre-defined-annotation-keys
     */
    readonly source?: pulumi.Input<string>;
    /**
     * Seconds since the epoch; makes the `created` label and the layers reproducible.
     * Default: `$SOURCE_DATE_EPOCH`, else the commit time of `context`. Conflicts with nothing; it wins
     * over `$SOURCE_DATE_EPOCH` when both are set.
     * https://reproducible-builds.org/specs/source-date-epoch/
     */
    readonly sourceDateEpoch?: pulumi.Input<number>;
    /**
     * Registry credentials by host (`{"127.0.0.1:5001": {username, password}}`), stored as a secret in
     * state. Default: none, the docker config (`~/.docker/config.json`) is used. Conflicts with nothing;
     * a host missing here falls back to the docker config.
     * https://docs.docker.com/reference/cli/docker/login/#credential-stores
     */
    readonly credentials?: pulumi.Input<Record<string, RegistryCredentials>>;
    /**
     * Move `X.Y`, `X` and `latest` only when the registry holds no higher release in their scope, so a
     * hotfix of an old line never drags them backwards. Default: true.
     * https://github.com/docker/metadata-action/issues/326
     */
    readonly onlyIfHighest?: pulumi.Input<boolean>;
}

/**
 * The version rules of the tag set, checked up front: `isSemver` (strict, so `01.2.3` is refused) and
 * no build metadata, because `+` is not valid in an image tag and computeTagSet would refuse it later.
 */
export function versionProblems(version: string | undefined): ArgProblem[] {
    if (version === undefined || version === "") {
        return [{ propertyPath: "version", reason: "is required" }];
    }
    if (!isSemver(version)) {
        return [{ propertyPath: "version", reason: `must be a semver version X.Y.Z (got "${version}")` }];
    }
    const build = semver.parse(version)?.build ?? [];
    if (build.length > 0) {
        return [
            {
                propertyPath: "version",
                reason: `must not carry build metadata "+${build.join(".")}" (not valid in an image tag) (got "${version}")`,
            },
        ];
    }
    return [];
}

/** Every problem with the args that are known; Outputs are checked again once they resolve. */
export function multiArchImageProblems(args: MultiArchImageArgs): ArgProblem[] {
    const problems: ArgProblem[] = [];
    if (isPlain(args.context)) problems.push(...requiredStringProblems("context", args.context));
    if (isPlain(args.repository)) problems.push(...repositoryProblems("repository", args.repository));
    if (isPlain(args.version)) problems.push(...versionProblems(args.version));
    if (isPlain(args.gitSha)) {
        problems.push(...requiredStringProblems("gitSha", args.gitSha));
        if (args.gitSha && !isGitSha(args.gitSha)) {
            problems.push({
                propertyPath: "gitSha",
                reason: `must be 7-40 lowercase hex characters (got "${args.gitSha}")`,
            });
        }
    }
    if (isPlain(args.platforms)) problems.push(...platformProblems("platforms", args.platforms));
    if (isPlain(args.buildArgs) && args.buildArgs !== undefined) {
        const reason = buildArgsProblem(args.buildArgs);
        if (reason !== undefined) problems.push({ propertyPath: "buildArgs", reason });
    }
    if (isPlain(args.builders) && args.builders !== undefined) {
        const platforms = isPlain(args.platforms) ? (args.platforms ?? [...DEFAULT_PLATFORMS]) : undefined;
        for (const reason of builderProblems(args.builders, "builders"))
            problems.push({ propertyPath: "builders", reason: reason.replace(/^builders: /, "") });
        for (const p of Object.keys(args.builders).filter((p) => platforms && !platforms.includes(p)))
            problems.push({
                propertyPath: "builders",
                reason: `builder for ${p}: not one of platforms (${(platforms ?? []).join(", ")}) (got "${p}")`,
            });
    }
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
        PINNED_STACKS.includes(args.channel)
    ) {
        // staging and prod run pinned digests; a moving `latest` from them would contradict the pin.
        problems.push({
            propertyPath: "allowLatest",
            reason: `conflicts with channel "${args.channel}" (only dev or no channel may move latest) (got "true")`,
        });
    }
    return problems;
}

/** `$SOURCE_DATE_EPOCH` wins; otherwise the time of the newest commit that changed the context. */
export function defaultSourceDateEpoch(context: string, env: NodeJS.ProcessEnv = process.env): number {
    const raw = env.SOURCE_DATE_EPOCH;
    return sourceDateEpoch(env, raw !== undefined && raw !== "" ? 0 : contextCommitInfo(context).commitTime);
}

/** The args multiArchImageProblems judges, checked again once their Outputs resolve. */
function checkedPart(args: MultiArchImageArgs) {
    return {
        context: args.context,
        dockerfile: args.dockerfile,
        repository: args.repository,
        version: args.version,
        gitSha: args.gitSha,
        platforms: args.platforms,
        buildArgs: args.buildArgs,
        channel: args.channel,
        allowLatest: args.allowLatest,
        builders: args.builders,
    };
}

/** The builders input, only when the arg is given: an image without builders keeps the inputs it had. */
function buildersInput(
    given: unknown,
    checked: pulumi.Output<{ builders?: Record<string, string> }>,
): { builders?: pulumi.Output<Record<string, string>> } {
    return given === undefined ? {} : { builders: checked.apply((c) => c.builders ?? {}) };
}

/** Builds once, pushes one OCI index and its whole tag set (all the same digest). */
export class MultiArchImage extends pulumi.ComponentResource {
    public readonly digest: pulumi.Output<string>;
    public readonly ref: pulumi.Output<string>;
    /** The tags that point at `digest`: the tag set minus `heldBackTags`. */
    public readonly tags: pulumi.Output<string[]>;
    /** Floating tags (X.Y, X, latest) left where they were because a higher release owns them. */
    public readonly heldBackTags: pulumi.Output<string[]>;
    public readonly platformDigests: pulumi.Output<Record<string, string>>;
    public readonly labels: pulumi.Output<Record<string, string>>;
    public readonly contextHash: pulumi.Output<string>;
    /** The dynamic resource that builds and pushes (a CustomResource, for `dependsOn`). */
    public readonly image: pulumi.CustomResource;

    constructor(name: string, args: MultiArchImageArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("image-release:image:MultiArchImage", name, {}, opts);
        // Args that are Outputs skip the constructor's check; they get the same rules (and the same error)
        // once known, before anything derived from them reaches the engine.
        const checked = checkedArgs("MultiArchImage", name, checkedPart(args), multiArchImageProblems);
        const dockerfile = checked.apply((c) => c.dockerfile ?? "Dockerfile");
        const buildArgs = checked.apply((c) => c.buildArgs ?? {});
        const epoch =
            args.sourceDateEpoch !== undefined
                ? pulumi.output(args.sourceDateEpoch)
                : checked.apply((c) => defaultSourceDateEpoch(c.context));
        const tagSet = checked.apply((c) =>
            computeTagSet({
                version: c.version,
                gitSha: c.gitSha,
                channel: c.channel,
                allowLatest: c.allowLatest ?? false,
            }),
        );
        const labels = pulumi
            .all([checked, args.source, epoch, args.labels])
            .apply(([c, source, created, extra]) =>
                ociLabels({ version: c.version, revision: c.gitSha, source, created, extra }),
            );
        this.contextHash = pulumi
            .all([checked, dockerfile, buildArgs])
            .apply(([c, df, ba]) => hashContext(c.context, df, ba));

        const image = new MultiArchImageResource(
            `${name}-image`,
            {
                context: checked.context,
                dockerfile,
                repository: checked.repository,
                platforms: checked.apply((c) => c.platforms ?? [...DEFAULT_PLATFORMS]),
                buildArgs,
                labels,
                version: checked.version,
                gitSha: checked.gitSha,
                sourceDateEpoch: epoch,
                tags: tagSet.tags,
                contextHash: this.contextHash,
                credentials: args.credentials ? pulumi.secret(args.credentials) : undefined,
                onlyIfHighest: args.onlyIfHighest,
                ...buildersInput(args.builders, checked),
            },
            { parent: this },
        );
        this.digest = image.digest;
        this.ref = pulumi.interpolate`${args.repository}@${image.digest}`;
        this.heldBackTags = image.heldBackTags.apply((h) => h ?? []);
        this.tags = pulumi
            .all([image.tags, this.heldBackTags])
            .apply(([tags, held]) => tags.filter((t) => !held.includes(t)));
        this.platformDigests = image.platformDigests;
        this.image = image;
        this.labels = labels;
        this.registerOutputs({
            digest: this.digest,
            ref: this.ref,
            tags: this.tags,
            heldBackTags: this.heldBackTags,
            platformDigests: this.platformDigests,
            labels: this.labels,
        });
    }
}
