import { Command } from "commander";
import { release, ReleaseOptions, RELEASE_DEFAULTS } from "../flows";
import { action } from "./action";
import {
    addCommonFlags,
    CommonOptions,
    commonProblems,
    emptyValues,
    refuseUsage,
    stackDirs,
} from "./commonOptions";
import { CommandContext, emit } from "./context";
import { renderRelease } from "./output";

export interface ReleaseFlags extends CommonOptions {
    context: string;
    repository: string;
    platforms: string;
    version?: string;
    channel: string;
    force?: true;
    mirror?: string[];
}

export function addReleaseFlags(cmd: Command): Command {
    return cmd
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
        .option("--version <v>", "release version X.Y.Z (default: package.json's version)")
        .option(
            "--channel <c>",
            "channel tag and outputs file (only dev: staging and prod come by promote)",
            RELEASE_DEFAULTS.channel,
        )
        .option("--force", "move X.Y.Z and git- tags that already point at another digest")
        .option(
            "--mirror <repo...>",
            "also put the build (same digest and tags) in these repositories, any registry",
        );
}

export function validateRelease(o: ReleaseFlags): void {
    refuseUsage([
        ...commonProblems(o),
        ...emptyValues({
            "--context": o.context,
            "--repository": o.repository,
            "--platforms": o.platforms,
            "--version": o.version,
            "--channel": o.channel,
        }),
    ]);
}

export function releaseOptions(o: ReleaseFlags): ReleaseOptions {
    return {
        ...stackDirs(o),
        context: o.context,
        repository: o.repository,
        platforms: o.platforms.split(","),
        ...(o.version !== undefined ? { version: o.version } : {}),
        channel: o.channel,
        force: o.force === true,
        ...(o.mirror !== undefined ? { mirrors: o.mirror } : {}),
    };
}

export async function runRelease(o: ReleaseFlags, ctx: CommandContext): Promise<number> {
    const onProgress = (line: string) => ctx.io.err(`image-release: ${line}\n`);
    const r = await release(releaseOptions(o), { ...ctx.deps, onProgress });
    emit(ctx.io, o.json === true, r, renderRelease(r));
    return 0;
}

export function releaseCommand(program: Command, ctx: CommandContext): void {
    const cmd = program.command("release").description("build, push the tag set, record the release");
    addCommonFlags(addReleaseFlags(cmd)).action(action(ctx, validateRelease, runRelease));
}
