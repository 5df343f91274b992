import { release, RELEASE_DEFAULTS } from "../flows";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { renderRelease } from "./output";
import { layerReporter } from "./progress";

export interface ReleaseFlags extends CommonOptions {
    context: string;
    repository: string;
    platforms: string;
    version?: string;
    channel: string;
    force?: true;
    mirror?: string[];
}

export const releaseCommand = defineCommand<ReleaseFlags, Awaited<ReturnType<typeof release>>>({
    name: "release",
    description: "build, push the tag set, record the release",
    flags: (cmd) =>
        cmd
            .option("--context <dir>", "build context, relative to --repo-root", RELEASE_DEFAULTS.context)
            .option(
                "--repository <repo>",
                "target repository, without tag or digest",
                RELEASE_DEFAULTS.repository,
            )
            .option(
                "--platforms <list>",
                "comma-separated os/arch[/variant] list",
                RELEASE_DEFAULTS.platforms.join(","),
            )
            .option("--version <v>", "release version X.Y.Z (default: version.json's, else package.json's)")
            .option(
                "--channel <c>",
                "channel tag and outputs file (only dev: staging and prod come by promote)",
                RELEASE_DEFAULTS.channel,
            )
            .option("--force", "move X.Y.Z and git- tags that already point at another digest")
            .option(
                "--mirror <repo...>",
                "also put the build (same digest and tags) in these repositories, any registry",
            ),
    nonEmpty: (o) => ({
        "--context": o.context,
        "--repository": o.repository,
        "--platforms": o.platforms,
        "--version": o.version,
        "--channel": o.channel,
    }),
    run: async (o, deps, ctx) => {
        const progress = layerReporter(ctx.io, { json: o.json === true });
        try {
            return await release(
                {
                    ...stackDirs(o),
                    context: o.context,
                    repository: o.repository,
                    platforms: o.platforms.split(","),
                    ...(o.version !== undefined ? { version: o.version } : {}),
                    channel: o.channel,
                    force: o.force === true,
                    ...(o.mirror !== undefined ? { mirrors: o.mirror } : {}),
                },
                {
                    ...deps,
                    onProgress: (line: string) => ctx.io.err(`image-release: ${line}\n`),
                    onLayer: progress.onLayer,
                },
            );
        } finally {
            progress.done();
        }
    },
    render: (r) => renderRelease(r),
});
