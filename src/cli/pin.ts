import { execFileSync } from "child_process";
import * as path from "path";
import { editStackText, readStackFile, StackImageConfig, unifiedDiff, writeStackFile } from "../stackconfig";
import { CliDeps, StackOptions } from "./context";

export interface PinChange {
    stack: StackImageConfig;
    digest: string;
    version?: string;
    gitSha?: string;
    promotedFrom: string;
    platforms: string[];
    previousDigest?: string;
}

export interface PinOptions extends StackOptions {
    dryRun?: boolean;
    retag?: boolean;
    git?: boolean;
    /** Test seam for the race refusal. */
    beforeRename?: () => void;
}

export interface PinResult {
    file: string;
    diff: string;
    written: boolean;
    retagged?: { tag: string; previousDigest?: string };
    branch?: string;
    commitMessage: string;
}

/**
 * The shared write path of promote and rollback. Order matters for "nothing half-applied": the file
 * is written only after every registry check passed, and the channel tag moves only after the write.
 */
export async function applyPin(
    o: PinOptions,
    c: PinChange,
    deps: CliDeps,
    title: string,
): Promise<PinResult> {
    const snap = readStackFile(c.stack.file);
    const after = editStackText(c.stack.file, snap.text, {
        digest: c.digest,
        ...(c.version !== undefined ? { version: c.version } : {}),
        ...(c.gitSha !== undefined ? { gitSha: c.gitSha } : {}),
        promotedFrom: c.promotedFrom,
    });
    const rel = path.relative(o.repoRoot, c.stack.file);
    const diff = unifiedDiff(rel, snap.text, after);
    const commitMessage = [
        title,
        "",
        `from: ${c.promotedFrom}`,
        `to: ${c.stack.stack}`,
        `version: ${c.version ?? "-"}`,
        `digest: ${c.digest}`,
        `platforms: ${c.platforms.join(", ")}`,
        `previous digest: ${c.previousDigest ?? "-"}`,
        "",
    ].join("\n");
    const result: PinResult = { file: rel, diff, written: false, commitMessage };
    if (o.dryRun) return result;
    const branch = o.git
        ? `promote/${c.stack.stack}-${c.version ?? "unversioned"}-${c.digest.slice(7, 19)}`
        : undefined;
    if (branch) gitRun(o.repoRoot, ["check-ref-format", "--branch", branch]);
    writeStackFile(snap, after, { beforeRename: o.beforeRename });
    result.written = true;
    if (o.retag && c.stack.channel) {
        const r = await deps.client.retag(c.stack.repository, c.digest, c.stack.channel);
        result.retagged = { tag: r.tag, ...(r.previousDigest ? { previousDigest: r.previousDigest } : {}) };
    }
    if (branch) {
        gitRun(o.repoRoot, ["checkout", "-b", branch]);
        gitRun(o.repoRoot, ["add", "--", rel]);
        gitRun(o.repoRoot, ["commit", "-m", commitMessage, "--", rel]);
        result.branch = branch;
    }
    return result;
}

function gitRun(repoRoot: string, args: string[]): string {
    return execFileSync("git", ["-C", repoRoot, ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
}
