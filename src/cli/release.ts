import { release, RELEASE_DEFAULTS, ReleaseResult, releaseSet, ReleaseSetResult } from "../flows";
import { BUILDER_EXAMPLE, parseBuilderFlags } from "../release";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { renderRelease, renderReleaseSet } from "./output";
import { withLayerProgress } from "./progress";

export interface ReleaseFlags extends CommonOptions {
    context?: string;
    repository?: string;
    platforms?: string;
    version?: string;
    channel?: string;
    force?: true;
    mirror?: string[];
    stack?: string;
    image?: string;
    builder?: string[];
}

/** The flags that describe one build; a set's release takes each image's from its stack file. */
const ONE_BUILD = ["context", "repository", "platforms", "version", "channel", "mirror"] as const;

/** `--stack` or `--image`: the set of a stack file rather than one context. */
function setMode(o: ReleaseFlags): boolean {
    return o.stack !== undefined || o.image !== undefined;
}

export const releaseCommand = defineCommand<ReleaseFlags, ReleaseResult | ReleaseSetResult>({
    name: "release",
    description: "build, push the tag set, record the release (or a stack's set: --stack, --image)",
    flags: (cmd) =>
        cmd
            .option(
                "--context <dir>",
                `build context, relative to --repo-root (default: "${RELEASE_DEFAULTS.context}")`,
            )
            .option(
                "--repository <repo>",
                `target repository, without tag or digest (default: "${RELEASE_DEFAULTS.repository}")`,
            )
            .option(
                "--platforms <list>",
                `comma-separated os/arch[/variant] list (default: "${RELEASE_DEFAULTS.platforms.join(",")}")`,
            )
            .option("--version <v>", "release version X.Y.Z (default: version.json's, else package.json's)")
            .option(
                "--channel <c>",
                `channel tag and outputs file (only dev: staging and prod come by promote) (default: "${RELEASE_DEFAULTS.channel}")`,
            )
            .option("--force", "move X.Y.Z and git- tags that already point at another digest")
            .option(
                "--mirror <repo...>",
                "also put the build (same digest and tags) in these repositories, any registry",
            )
            .option(
                "--stack <stack>",
                "release the set this stack builds (image-release:images.<name>.build): each image whose context changed",
            )
            .option("--image <name>", "release this image of the set alone (implies --stack dev)")
            .option(
                "--builder <platform=address...>",
                `build a platform on a BuildKit daemon, e.g. ${BUILDER_EXAMPLE}; over the stack's image-release:builders`,
            ),
    nonEmpty: (o) => ({
        "--context": o.context,
        "--repository": o.repository,
        "--platforms": o.platforms,
        "--version": o.version,
        "--channel": o.channel,
        "--stack": o.stack,
        "--image": o.image,
    }),
    problems: (o) => [
        ...(setMode(o)
            ? ONE_BUILD.filter((f) => o[f] !== undefined).map(
                  (f) =>
                      `--${f} does not go with ${o.stack !== undefined ? "--stack" : "--image"}: each image of a set takes it from its stack file`,
              )
            : []),
        ...parseBuilderFlags(o.builder ?? []).problems,
    ],
    run: (o, deps, ctx) => {
        const lines = { ...deps, onProgress: (line: string) => ctx.io.err(`image-release: ${line}\n`) };
        const json = { json: o.json === true };
        const { builders } = parseBuilderFlags(o.builder ?? []);
        const withBuilders = Object.keys(builders).length > 0 ? { builders } : {};
        return withLayerProgress<typeof lines, ReleaseResult | ReleaseSetResult>(
            ctx,
            json,
            lines,
            (progress) => {
                if (setMode(o)) {
                    return releaseSet(
                        {
                            ...stackDirs(o),
                            stack: o.stack ?? "dev",
                            ...(o.image !== undefined ? { image: o.image } : {}),
                            force: o.force === true,
                            ...withBuilders,
                        },
                        progress,
                    );
                }
                return release(
                    {
                        ...stackDirs(o),
                        context: o.context ?? RELEASE_DEFAULTS.context,
                        repository: o.repository ?? RELEASE_DEFAULTS.repository,
                        platforms: (o.platforms ?? RELEASE_DEFAULTS.platforms.join(",")).split(","),
                        ...(o.version !== undefined ? { version: o.version } : {}),
                        channel: o.channel ?? RELEASE_DEFAULTS.channel,
                        force: o.force === true,
                        ...(o.mirror !== undefined ? { mirrors: o.mirror } : {}),
                        ...withBuilders,
                    },
                    progress,
                );
            },
        );
    },
    render: (r) => ("images" in r ? renderReleaseSet(r) : renderRelease(r)),
});
