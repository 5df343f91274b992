import { tags } from "../flows";
import { CHANNELS } from "../release";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { renderTags } from "./output";

export interface TagsFlags extends CommonOptions {
    version?: string;
    gitSha?: string;
    channel?: string;
}

export const tagsCommand = defineCommand<TagsFlags, Awaited<ReturnType<typeof tags>>>({
    name: "tags",
    description: "print the tag set of a version and commit",
    flags: (cmd) =>
        cmd
            .option("--version <v>", "release version X.Y.Z (default: version.json's, else package.json's)")
            .option("--git-sha <sha>", "commit that the git-<sha> tag names (default: HEAD of --repo-root)")
            .option("--channel <c>", `also the channel tag: one of ${CHANNELS.join(", ")}`),
    nonEmpty: (o) => ({ "--version": o.version, "--git-sha": o.gitSha, "--channel": o.channel }),
    problems: (o) =>
        o.channel && !CHANNELS.some((c) => c === o.channel)
            ? [`--channel "${o.channel}" is not one of ${CHANNELS.join(", ")}`]
            : [],
    run: (o) => {
        const channel = CHANNELS.find((c) => c === o.channel);
        return tags({
            repoRoot: stackDirs(o).repoRoot,
            ...(o.version !== undefined ? { version: o.version } : {}),
            ...(o.gitSha !== undefined ? { gitSha: o.gitSha } : {}),
            ...(channel !== undefined ? { channel } : {}),
        });
    },
    render: (r) => renderTags(r),
});
