import { codeSpan, inlineText, tableRow } from "../release";
import type { ReleaseNotes } from "./notes";

const list = (values: readonly string[], render: (v: string) => string, none: string) =>
    values.map(render).join(", ") || none;

/**
 * The release notes in Markdown, without their title: every value from the registry (labels, platform
 * strings, tags, attestation types) and from the stack files renders as text (../release/markdown), so a
 * label cannot add a section, a table row, HTML or a link. Plain values read as they always did:
 * digests, tags and references in code spans, versions, stacks and plain labels bare.
 */
export function notesMarkdownBody(n: ReleaseNotes): string {
    const sig = n.signature;
    const lines = [
        `- Image: ${codeSpan(`${n.repository}@${n.digest}`)}`,
        `- Tags: ${list(n.tags, codeSpan, "(none)")}`,
        `- Git commit: ${n.gitSha ? codeSpan(n.gitSha) : "(unknown)"}`,
        `- Running in: ${list(n.stacks, inlineText, "(no stack)")}`,
        ...(sig
            ? [
                  `- Signature: ${codeSpan(sig.ref)} (${sig.signatures}; verified by ${list(sig.verifiedBy, inlineText, "no trusted key")})`,
                  `- Attestations: ${list(n.attestations ?? [], inlineText, "(none)")}`,
              ]
            : []),
        "",
        tableRow(["Platform", "Digest"]),
        tableRow(["---", "---"]),
        ...Object.entries(n.platformDigests).map(([p, d]) => tableRow([inlineText(p), codeSpan(d)])),
        "",
        tableRow(["Label", "Value"]),
        tableRow(["---", "---"]),
        ...Object.entries(n.labels).map(([k, v]) => tableRow([inlineText(k), inlineText(v)])),
        "",
    ];
    return lines.join("\n");
}

/** The whole notes file: a title (the repository's last segment and the version), then the body. */
export function notesMarkdown(n: ReleaseNotes): string {
    const name = n.repository.split("/").pop() ?? n.repository;
    return `# ${inlineText(name)} ${inlineText(n.version)}\n\n${notesMarkdownBody(n)}`;
}
