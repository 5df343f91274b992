import { Command } from "commander";
import { tags, TagsOptions } from "../flows";
import { CHANNELS } from "../release";
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
import { renderTags } from "./output";

export interface TagsFlags extends CommonOptions {
    version?: string;
    gitSha?: string;
    channel?: string;
}

export function addTagsFlags(cmd: Command): Command {
    return cmd
        .option("--version <v>", "release version X.Y.Z (default: package.json's version)")
        .option("--git-sha <sha>", "commit that the git-<sha> tag names (default: HEAD of --repo-root)")
        .option("--channel <c>", `also the channel tag: one of ${CHANNELS.join(", ")}`);
}

export function validateTags(o: TagsFlags): void {
    const problems = [
        ...commonProblems(o),
        ...emptyValues({ "--version": o.version, "--git-sha": o.gitSha, "--channel": o.channel }),
    ];
    if (o.channel && !CHANNELS.some((c) => c === o.channel)) {
        problems.push(`--channel "${o.channel}" is not one of ${CHANNELS.join(", ")}`);
    }
    refuseUsage(problems);
}

export function tagsOptions(o: TagsFlags): TagsOptions {
    const channel = CHANNELS.find((c) => c === o.channel);
    return {
        repoRoot: stackDirs(o).repoRoot,
        ...(o.version !== undefined ? { version: o.version } : {}),
        ...(o.gitSha !== undefined ? { gitSha: o.gitSha } : {}),
        ...(channel !== undefined ? { channel } : {}),
    };
}

export async function runTags(o: TagsFlags, ctx: CommandContext): Promise<number> {
    const t = await tags(tagsOptions(o));
    emit(ctx.io, o.json === true, t, renderTags(t));
    return 0;
}

export function tagsCommand(program: Command, ctx: CommandContext): void {
    const cmd = program.command("tags").description("print the tag set of a version and commit");
    addCommonFlags(addTagsFlags(cmd)).action(action(ctx, validateTags, runTags));
}
