import * as path from "path";
import { ImageDescription } from "../registry";
import { ReleaseNotes, renderNotes } from "./notes";

/** A ready pull request for a promotion or rollback branch: `gh pr create --body-file <file>`. */
export interface PullRequestText {
    title: string;
    body: string;
    /** Where the body is written, relative to the repository root. */
    file: string;
    /** The commands that open it. */
    open: string;
}

export interface PullRequestInput {
    title: string;
    kind: "promote" | "rollback";
    branch: string;
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

/** The release notes section: the notes without their title, or why there are none. */
function notesSection(releaseNotes: ReleaseNotes | string): string {
    if (typeof releaseNotes === "string") return `(${releaseNotes})\n`;
    // The notes' title line would be a second H1 in the PR body.
    return renderNotes(releaseNotes).replace(/^# .*\n\n/, "");
}

/**
 * The PR a reviewer approves: what moves where, what the registry verified, why it may go there, the
 * release notes (given, or the reason there are none) and the exact pin diff. Pure: it reads nothing and
 * runs nothing; the body belongs in `.image-release/pr/<branch>.md` (`file`, not committed).
 */
export function pullRequestText(p: PullRequestInput, releaseNotes: ReleaseNotes | string): PullRequestText {
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
        notesSection(releaseNotes),
        "## The pin diff",
        "",
        "```diff",
        p.diff.replace(/\n$/, ""),
        "```",
        "",
        `After merge: \`pulumi preview --stack ${p.to}\` (checks the pin), then \`pulumi up --stack ${p.to}\`.`,
        "",
    ].join("\n");
    const file = path.join(".image-release", "pr", `${p.branch}.md`);
    const title = p.title.replace(/"/g, '\\"');
    return {
        title: p.title,
        body,
        file,
        open: `git push -u origin ${p.branch} && gh pr create --head ${p.branch} --title "${title}" --body-file ${file}`,
    };
}
