import { ImageDescription, normalizePlatform } from "../registry";
import { codeSpan, fencedBlock, inlineText, Markdown, shellCommand, tableRow } from "../release";
import { ReleaseNotes } from "./notes";
import { notesMarkdownBody } from "./notesMarkdown";
import { TOOL_DIR, toolFile } from "./toolPath";

/** A ready pull request for a promotion or rollback branch: `gh pr create --body-file <file>`. */
export interface PullRequestText {
    title: string;
    body: string;
    /** Where the body is written, relative to the repository root. */
    file: string;
    /** The commands that open it, every value shell-quoted. */
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
    /** The platforms the target stack requires: the table keeps them when it cannot list every one. */
    required: string[];
    /**
     * Why the digest may go here: it ran in the source stack, or which commit pinned it before. Built
     * with `md`, so the record fields in it render as text.
     */
    evidence: Markdown[];
    /** The exact change to the stack file, as `--dry-run` prints it. */
    diff: string;
}

/** GitHub refuses a pull request body longer than this many characters. */
export const PR_BODY_LIMIT = 65_536;

/** The release notes section: the notes without their title, or why there are none. */
export function notesSection(releaseNotes: ReleaseNotes | string): string {
    return typeof releaseNotes === "string"
        ? `(${inlineText(releaseNotes)})\n`
        : notesMarkdownBody(releaseNotes);
}

/** Where the whole notes are when the PR shows only their start: the `notes` command and its file. */
function truncatedNotes(p: PullRequestInput): string {
    const why = "release notes truncated to fit GitHub's 65,536-character limit";
    if (p.version === undefined) return `(${why})`;
    const command = shellCommand([
        "image-release",
        "notes",
        "--version",
        p.version,
        "--repository",
        p.repository,
    ]);
    const file = `${TOOL_DIR}/notes/${p.version}.md`;
    return `(${why}; ${codeSpan(command)} writes them in full to ${codeSpan(file)})`;
}

/**
 * The body within GitHub's limit: only the release notes are cut, at a line, with a pointer to the whole
 * notes after them; what moves, the verification table and the pin diff always stay whole. A cut table
 * stays a table of whole rows, and the blank line before the pointer keeps it out of the table.
 */
function fitBody(head: string, notes: string, tail: string, pointer: string): string {
    if (head.length + notes.length + tail.length <= PR_BODY_LIMIT) return head + notes + tail;
    // The tail starts with the blank line before the next heading, as after whole notes.
    const note = `${pointer}\n`;
    const room = PR_BODY_LIMIT - head.length - tail.length - note.length;
    // Whole lines of the notes, each with its newline, and one more newline for the blank line.
    const cut = room > 1 ? notes.lastIndexOf("\n", room - 2) + 1 : 0;
    const kept = notes.slice(0, cut).replace(/\n+$/, "");
    return head + (kept === "" ? "" : `${kept}\n\n`) + note + tail;
}

/**
 * The verification table: every platform of the index, or (`short`, when even a body without notes would
 * pass GitHub's limit: a 1,024-entry index is ~95,000 characters of rows) the platforms the target
 * requires, then one line that counts the rest and names a command that lists them all.
 */
export function verifiedTable(
    p: Pick<PullRequestInput, "required" | "verified" | "repository" | "digest">,
    short: boolean,
): string[] {
    const required = new Set(p.required.map(normalizePlatform));
    const all = p.verified.platforms;
    const shown = short ? all.filter((x) => required.has(normalizePlatform(x.platform))) : all;
    const rest = all.length - shown.length;
    const inspect = shellCommand([
        "docker",
        "buildx",
        "imagetools",
        "inspect",
        `${p.repository}@${p.digest}`,
    ]);
    return [
        tableRow(["Platform", "Manifest digest"]),
        tableRow(["---", "---"]),
        ...shown.map((x) => tableRow([inlineText(x.platform), codeSpan(x.digest)])),
        // The blank line ends the table: a line right after it would be read as one more row.
        ...(rest > 0
            ? [
                  "",
                  `… and ${rest} more platform${rest === 1 ? "" : "s"} in the index; ${codeSpan(inspect)} lists them`,
              ]
            : []),
    ];
}

/** The body up to the release notes: what moves where, the verification table, why it may go there. */
function headText(p: PullRequestInput, table: string[]): string {
    const to = codeSpan(p.to);
    const version = p.version !== undefined ? inlineText(p.version) : undefined;
    return [
        `${p.kind === "promote" ? "Promotes" : "Rolls back"} ${to} to ${version ?? "an unversioned image"}: ` +
            `${p.from ? `${codeSpan(p.from)} → ${to}` : to}. No rebuild: the pin is the digest below.`,
        "",
        `- Image: ${codeSpan(`${p.repository}@${p.digest}`)}`,
        `- Version: ${version ?? "-"}`,
        `- Replaces: ${p.previousDigest ? codeSpan(p.previousDigest) : "(no pin)"}`,
        "",
        `## Verified in the registry`,
        "",
        `The index exists and covers every platform ${to} requires:`,
        "",
        ...table,
        "",
        "## Why this digest may go here",
        "",
        ...p.evidence.map((e) => `- ${e.text}`),
        "",
        "## Release notes",
        "",
        "",
    ].join("\n");
}

/** After the release notes: the exact pin diff and what to run once it is merged. */
export function tailText(p: Pick<PullRequestInput, "to" | "diff">): string {
    const preview = codeSpan(shellCommand(["pulumi", "preview", "--stack", p.to]));
    const up = codeSpan(shellCommand(["pulumi", "up", "--stack", p.to]));
    return [
        "",
        "## The pin diff",
        "",
        fencedBlock("diff", p.diff),
        "",
        `After merge: ${preview} (checks the pin), then ${up}.`,
        "",
    ].join("\n");
}

/**
 * The PR a reviewer approves: what moves where, what the registry verified, why it may go there, the
 * release notes (given, or the reason there are none) and the exact pin diff. Every value from the
 * registry, a label or a record renders as text (../release/markdown), and the printed command quotes
 * every value (../release/shellQuote). Pure: it reads nothing and runs nothing; the body belongs in
 * `.image-release/pr/<branch>.md` (`file`, not committed). Within GitHub's limit the notes give way
 * first (fitBody), then the verification table (verifiedTable).
 */
export function pullRequestText(p: PullRequestInput, releaseNotes: ReleaseNotes | string): PullRequestText {
    const tail = tailText(p);
    const pointer = truncatedNotes(p);
    const whole = headText(p, verifiedTable(p, false));
    // The shortest body fitBody makes: the head, the pointer alone in place of the notes, the tail.
    const head =
        whole.length + pointer.length + 1 + tail.length <= PR_BODY_LIMIT
            ? whole
            : headText(p, verifiedTable(p, true));
    const file = toolFile("pr", `${p.branch}.md`);
    return {
        title: p.title,
        body: fitBody(head, notesSection(releaseNotes), tail, pointer),
        file,
        // A value after a flag that takes it, or after `--`, is never read as an option.
        open: [
            shellCommand(["git", "push", "-u", "origin", "--", p.branch]),
            shellCommand(["gh", "pr", "create", "--head", p.branch, "--title", p.title, "--body-file", file]),
        ].join(" && "),
    };
}
