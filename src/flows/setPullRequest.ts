import { codeSpan, inlineText, shellCommand } from "../release";
import { ReleaseNotes } from "./notes";
import { notesSection, PR_BODY_LIMIT, PullRequestText, tailText, verifiedTable } from "./pullRequest";
import { MemberPin, SetPinChange } from "./setPin";
import { toolFile } from "./toolPath";

/** Each moving image's release notes by name, or why there are none. */
export type SetNotes = Readonly<Record<string, ReleaseNotes | string>>;

/** One image's section: what moves, what the registry verified, why it may go here, and its notes. */
function memberSection(m: MemberPin, memberNotes: SetNotes | undefined): string[] {
    const version = m.version !== undefined ? inlineText(m.version) : "-";
    const notes = shellCommand([
        "image-release",
        "notes",
        "--version",
        m.version ?? "",
        "--repository",
        m.repository,
    ]);
    return [
        `### ${inlineText(m.name)}`,
        "",
        `- Image: ${codeSpan(`${m.repository}@${m.digest}`)}`,
        `- Version: ${version}`,
        `- Replaces: ${m.previousDigest ? codeSpan(m.previousDigest) : "(no pin)"}`,
        ...(m.version !== undefined ? [`- Release notes: ${codeSpan(notes)}`] : []),
        "",
        `Verified in the registry: the index exists and covers every platform this image requires:`,
        "",
        ...verifiedTable({ ...m, required: m.platforms }, false),
        "",
        ...(m.evidence.length > 0 ? [...m.evidence.map((e) => `- ${e.text}`), ""] : []),
        ...(memberNotes?.[m.name] !== undefined
            ? [`#### Release notes`, "", notesSection(memberNotes[m.name])]
            : []),
    ];
}

/**
 * The PR of a set: which images move together, each with its digest, version, verified platforms and
 * evidence, why they may go together, and the one pin diff. Pure, as `pullRequestText` is.
 */
export function setPullRequestText(
    c: SetPinChange,
    pr: { title: string; branch: string; diff: string },
    notes?: SetNotes,
): PullRequestText {
    const to = codeSpan(c.stack.stack);
    const names = c.members.map((m) => inlineText(m.name)).join(", ");
    const verb = c.kind === "promote" ? "Promotes" : "Rolls back";
    const head = (withNotes: SetNotes | undefined) =>
        [
            `${verb} ${c.from ? `${codeSpan(c.from)} → ${to}` : to}, ${c.members.length} image${c.members.length === 1 ? "" : "s"} as one unit: ${names}. No rebuild: each pin is the digest below.`,
            "",
            "## Why these images may go here together",
            "",
            ...c.evidence.map((e) => `- ${e.text}`),
            "",
            "## Images",
            "",
            ...c.members.flatMap((m) => memberSection(m, withNotes)),
        ].join("\n");
    const tail = tailText({ to: c.stack.stack, diff: pr.diff });
    let body = head(notes) + tail;
    if (body.length > PR_BODY_LIMIT) {
        // Each image's notes stay one command away (its "Release notes" line); the pin and diff stay whole.
        const left = "(release notes left out to fit GitHub's 65,536-character limit)\n";
        body = head(undefined) + "\n" + left + tail;
    }
    const file = toolFile("pr", `${pr.branch}.md`);
    return {
        title: pr.title,
        body,
        file,
        open: [
            shellCommand(["git", "push", "-u", "origin", "--", pr.branch]),
            shellCommand([
                "gh",
                "pr",
                "create",
                "--head",
                pr.branch,
                "--title",
                pr.title,
                "--body-file",
                file,
            ]),
        ].join(" && "),
    };
}
