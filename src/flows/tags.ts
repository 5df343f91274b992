import * as path from "path";
import { Channel, computeTagSet, gitCommitInfo, readVersion, TagSet } from "../release";

export interface TagsOptions {
    repoRoot: string;
    version?: string;
    gitSha?: string;
    channel?: Channel;
}

export async function tags(o: TagsOptions): Promise<TagSet> {
    return computeTagSet({
        version: o.version ?? readVersion(path.resolve(o.repoRoot)),
        gitSha: o.gitSha ?? gitCommitInfo(o.repoRoot).sha,
        ...(o.channel ? { channel: o.channel } : {}),
    });
}
