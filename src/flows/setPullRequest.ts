import { codeSpan, inlineText, shellCommand } from "../release";
import { PullRequestText, tailText, verifiedTable } from "./pullRequest";
import { MemberPin, SetPinChange } from "./setPin";
import { toolFile } from "./toolPath";

/** One image's section: what moves, what the registry verified, why it may go here. */
function memberSection(m: MemberPin): string[] {
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
    ];
}

/**
 * The PR of a set: which images move together, each with its digest, version, verified platforms and
 * evidence, why they may go together, and the one pin diff. Pure, as `pullRequestText` is.
 */
export function setPullRequestText(
    c: SetPinChange,
    pr: { title: string; branch: string; diff: string },
): PullRequestText {
    const to = codeSpan(c.stack.stack);
    const names = c.members.map((m) => inlineText(m.name)).join(", ");
    const verb = c.kind === "promote" ? "Promotes" : "Rolls back";
    const head = [
        `${verb} ${c.from ? `${codeSpan(c.from)} → ${to}` : to}, ${c.members.length} image${c.members.length === 1 ? "" : "s"} as one unit: ${names}. No rebuild: each pin is the digest below.`,
        "",
        "## Why these images may go here together",
        "",
        ...c.evidence.map((e) => `- ${e.text}`),
        "",
        "## Images",
        "",
        ...c.members.flatMap(memberSection),
    ].join("\n");
    const file = toolFile("pr", `${pr.branch}.md`);
    return {
        title: pr.title,
        body: head + tailText({ to: c.stack.stack, diff: pr.diff }),
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
