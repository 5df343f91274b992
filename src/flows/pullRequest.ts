import * as path from "path";
import { ImageDescription } from "../registry";
import { writeFileAtomic } from "../release";
import { CliDeps } from "./context";
import { notes, renderNotes } from "./notes";

/** A ready pull request for a promotion or rollback branch: `gh pr create --body-file <file>`. */
export interface PullRequestText {
    title: string;
    body: string;
    /** Where the body was written, relative to the repository root. */
    file: string;
    /** The commands that open it. */
    open: string;
}

export interface PullRequestInput {
    title: string;
    kind: "promote" | "rollback";
    branch: string;
    stacksDir: string;
    from?: string;
    to: string;
    repository: string;
    version?: string;
    digest: string;
    previousDigest?: string;
    /** What the registry answered when the digest was verified for the target's platforms. */
    verified: ImageDescription;
    /** Why the digest may go here: it ran in the source stack, or which commit pinned it before. */
    evidence: string[];
    /** The exact change to the stack file, as `--dry-run` prints it. */
    diff: string;
}

/**
 * The PR a reviewer approves: what moves where, what the registry verified, why it may go there, the
 * release notes and the exact pin diff. Written to `.image-release/pr/<branch>.md` (not committed).
 */
export async function writePullRequest(
    repoRoot: string,
    p: PullRequestInput,
    deps: CliDeps,
): Promise<PullRequestText> {
    const releaseNotes = await notesSection(repoRoot, p, deps);
    const platforms = p.verified.platforms.map((x) => `| ${x.platform} | \`${x.digest}\` |`);
    const body = [
        `${p.kind === "promote" ? "Promotes" : "Rolls back"} \`${p.to}\` to ${p.version ?? "an unversioned image"}: ` +
            `${p.from ? `\`${p.from}\` → \`${p.to}\`` : `\`${p.to}\``}. No rebuild: the pin is the digest below.`,
        "",
        `- Image: \`${p.repository}@${p.digest}\``,
        `- Version: ${p.version ?? "-"}`,
        `- Replaces: ${p.previousDigest ? `\`${p.previousDigest}\`` : "(no pin)"}`,
        "",
        `## Verified in the registry`,
        "",
        `The index exists and covers every platform \`${p.to}\` requires:`,
        "",
        "| Platform | Manifest digest |",
        "| --- | --- |",
        ...platforms,
        "",
        "## Why this digest may go here",
        "",
        ...p.evidence.map((e) => `- ${e}`),
        "",
        "## Release notes",
        "",
        releaseNotes,
        "## The pin diff",
        "",
        "```diff",
        p.diff.replace(/\n$/, ""),
        "```",
        "",
        `After merge: \`pulumi preview --stack ${p.to}\` (checks the pin), then \`pulumi up --stack ${p.to}\`.`,
        "",
    ].join("\n");
    const rel = path.join(".image-release", "pr", `${p.branch}.md`);
    writeFileAtomic(path.join(repoRoot, rel), body);
    const title = p.title.replace(/"/g, '\\"');
    return {
        title: p.title,
        body,
        file: rel,
        open: `git push -u origin ${p.branch} && gh pr create --head ${p.branch} --title "${title}" --body-file ${rel}`,
    };
}

/** The release notes of the version, from the registry; a version without its tag says why not. */
async function notesSection(repoRoot: string, p: PullRequestInput, deps: CliDeps): Promise<string> {
    if (p.version === undefined) return "(no version recorded for this pin, so no release notes)\n";
    try {
        const n = await notes(
            { repoRoot, stacksDir: p.stacksDir, version: p.version, repository: p.repository, write: false },
            deps,
        );
        // The notes' title line would be a second H1 in the PR body.
        return renderNotes(n).replace(/^# .*\n\n/, "");
    } catch (e) {
        return `(release notes unavailable: ${(e as Error).message})\n`;
    }
}
