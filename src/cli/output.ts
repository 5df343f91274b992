import { CopyResult } from "../registry";
import { TagSet } from "../release";
import {
    digestPrefix,
    PromoteResult,
    ReleaseResult,
    ReleaseSetResult,
    renderNotes,
    RollbackResult,
    StackHistoryEntry,
    StackStatus,
    VerifyResult,
} from "../flows";
import { terminalText } from "./terminal";

/** Columns padded to the width each cell shows with: an escaped control character is six wide. */
function table(raw: string[][]): string {
    const rows = raw.map((r) => r.map(terminalText));
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return (
        rows
            .map((r) =>
                r
                    .map((c, i) => c.padEnd(widths[i]))
                    .join("  ")
                    .trimEnd(),
            )
            .join("\n") + "\n"
    );
}

/** A set's rows name their image; the IMAGE column appears only when some row has one. */
function withImage<T>(rows: T[], image: (r: T) => string | undefined, cells: (r: T) => string[]): string[][] {
    const any = rows.some((r) => image(r) !== undefined);
    return rows.map((r) => {
        const c = cells(r);
        return any ? [c[0], image(r) ?? "-", ...c.slice(1)] : c;
    });
}

/** What the cluster runs for a row: its pin (`ok`), something else (`DRIFT`), or unread (`-`, `error`). */
function clusterCell(r: StackStatus): string {
    if (r.clusterError !== undefined) return "error";
    if (r.clusterDrift === undefined) return "-";
    if (r.clusterDrift.length > 0) return "DRIFT";
    return r.rolledBack !== undefined ? "ROLLED-BACK" : "ok";
}

/** One line per container off its pin, and per namespace that could not be read, under the table. */
function clusterNotes(rows: StackStatus[]): string[] {
    const lines = rows.flatMap((r) =>
        (r.clusterDrift ?? []).map(
            (d) =>
                `! ${r.stack}${r.image !== undefined ? ` ${r.image}` : ""}: ${terminalText(d.workload)} container ${terminalText(d.container)} runs ${terminalText(d.running)}, not the pin ${d.pinned}\n`,
        ),
    );
    const rolledBack = rows.flatMap((r) =>
        (r.rolledBack ?? []).map(
            (d) =>
                `~ ${r.stack}${r.image !== undefined ? ` ${r.image}` : ""}: rolled back, PR pending (${terminalText(d.branch)}): ${terminalText(d.workload)} container ${terminalText(d.container)} runs ${terminalText(d.running)}, main pins ${d.pinned}\n`,
        ),
    );
    const errors = [
        ...new Set(rows.filter((r) => r.clusterError).map((r) => `! ${r.stack}: ${r.clusterError}\n`)),
    ];
    return [...lines, ...rolledBack, ...errors];
}

export function renderStatus(rows: StackStatus[]): string {
    // The row is marked and explained below the table, so its IN REGISTRY and DRIFT are not misread as
    // being about the stack file's repository.
    const notes = rows
        .filter((r) => r.warning)
        .map((r) => `* ${r.warning}; IN REGISTRY and DRIFT are for ${r.releasedRepository}\n`);
    const cluster = rows.some((r) => r.clusterDrift !== undefined || r.clusterError !== undefined);
    const header = [
        "STACK",
        "IMAGE",
        "VERSION",
        "DIGEST",
        "CHANNEL",
        "CHANNEL->",
        "IN REGISTRY",
        "DRIFT",
        "CLUSTER",
    ];
    const body = withImage(
        rows,
        (r) => r.image,
        (r) => [
            r.stack,
            r.version ?? "-",
            digestPrefix(r.digest),
            r.channel ?? "-",
            digestPrefix(r.channelDigest),
            (r.error ? `error: ${r.error}` : r.present === undefined ? "-" : r.present ? "yes" : "NO") +
                (r.warning ? "*" : ""),
            r.drift ? "DRIFT" : "no",
            ...(cluster ? [clusterCell(r)] : []),
        ],
    );
    const sets = rows.some((r) => r.image !== undefined);
    const columns = header.filter((h) => (sets || h !== "IMAGE") && (cluster || h !== "CLUSTER"));
    return table([columns, ...body]) + notes.join("") + clusterNotes(rows).join("");
}

/** A revision of a set shows one row per image; a single-image revision one row. */
type HistoryRow = StackHistoryEntry & { image?: string };

export function renderHistory(rows: StackHistoryEntry[]): string {
    const expanded: HistoryRow[] = rows.flatMap((r) =>
        r.images === undefined
            ? [r]
            : Object.keys(r.images)
                  .sort()
                  .map((image) => {
                      const m = r.images?.[image];
                      return { ...r, version: m?.version, digest: m?.digest, image };
                  }),
    );
    const header = ["COMMIT", "IMAGE", "DATE", "AUTHOR", "VERSION", "DIGEST", "MESSAGE"];
    const sets = expanded.some((r) => r.image !== undefined);
    return table([
        sets ? header : header.filter((h) => h !== "IMAGE"),
        ...withImage(
            expanded,
            (r) => r.image,
            (r) => [r.shortCommit, r.date, r.author, r.version ?? "-", digestPrefix(r.digest), r.message],
        ),
    ]);
}

export function renderTags(t: TagSet): string {
    return t.tags.join("\n") + "\n";
}

export function renderPin(r: PromoteResult | RollbackResult, dryRun: boolean): string {
    const head =
        "from" in r
            ? `promote ${r.from} -> ${r.to}: ${r.version ?? "-"} ${r.digest}`
            : `rollback ${r.stack}: ${r.version ?? "-"} ${r.digest} (from commit ${r.commit.slice(0, 7)})`;
    const lines =
        r.images === undefined
            ? [head, `previous: ${r.previousDigest ?? "-"}`]
            : [
                  "from" in r
                      ? `promote ${r.from} -> ${r.to}: ${r.images.length} image(s)`
                      : `rollback ${r.stack}: ${r.images.length} image(s) (from commit ${r.commit.slice(0, 7)})`,
                  ...r.images.map(
                      (i) =>
                          `  ${i.name}: ${i.version ?? "-"} ${i.digest} (previous: ${i.previousDigest ?? "-"})`,
                  ),
              ];
    if (dryRun) lines.push("dry run: nothing written", r.diff.replace(/\n$/, ""));
    else lines.push(`wrote ${r.file}`);
    if (r.copied) lines.push(renderCopy(r.copied, dryRun));
    for (const c of r.copies ?? []) lines.push(renderCopy(c, dryRun));
    if (r.retagged) lines.push(`moved tag ${r.retagged.tag} (was ${r.retagged.previousDigest ?? "unset"})`);
    for (const t of r.retaggedImages ?? [])
        lines.push(`moved ${t.image} tag ${t.tag} (was ${t.previousDigest ?? "unset"})`);
    if (r.branch) lines.push(`committed on branch ${r.branch}`);
    if (r.pr) lines.push(`pull request: ${r.pr.title}`, `  body: ${r.pr.file}`, `  open it: ${r.pr.open}`);
    return lines.join("\n") + "\n";
}

export function renderCopy(c: CopyResult, dryRun: boolean): string {
    const what = `${c.from} -> ${c.to}`;
    if (c.alreadyPresent) return `copy ${what}: already there (nothing sent)`;
    if (dryRun) return `copy ${what}: would copy ${c.digest} before writing the pin`;
    const b = c.blobs;
    return (
        `copied ${c.digest} ${what}: ${c.manifests.copied} manifests; blobs ${b.copied} copied (${c.bytesCopied} B), ` +
        `${b.mounted} mounted, ${b.present} already there` +
        (c.tags.length > 0 ? `; tags ${c.tags.map((t) => t.tag).join(", ")}` : "")
    );
}

export function renderVerify(r: VerifyResult): string {
    const head = r.ok
        ? "verify: ok\n"
        : `verify: ${r.findings.length} finding(s)\n` + r.findings.map((f) => `- ${f}\n`).join("");
    const signed = r.signatures.map(
        (s) =>
            `signature: ${s.stack} ${s.digest}: ${s.signedBy ? `signed by ${s.signedBy}` : `not verified${s.error ? ` (${s.error})` : ""}`}\n` +
            s.attestations.map((a) => `  attestation: ${a}\n`).join(""),
    );
    return head + signed.join("");
}

/** One line per image of the set: released (with its ref and tags) or left as its record says. */
export function renderReleaseSet(r: ReleaseSetResult): string {
    const lines = r.images.map((i) =>
        i.released && i.record
            ? `${i.name}: released ${i.record.ref}${i.built === false ? " (not rebuilt: unchanged context, digest verified in the registry)" : ""}; tags ${i.record.tags.join(", ")}`
            : `${i.name}: ${i.unchanged ?? "not released"}${i.record ? ` (${i.record.ref})` : ""}`,
    );
    return [...lines, `record: ${r.outputsFile}`, ""].join("\n");
}

export function renderRelease(r: ReleaseResult): string {
    const lines = [
        `released ${r.record.ref}${r.built ? "" : " (not rebuilt: unchanged context, digest verified in the registry)"}`,
        `tags: ${r.record.tags.join(", ")}`,
        ...Object.entries(r.record.platformDigests).map(([p, d]) => `${p}: ${d}`),
        ...(r.signed
            ? [
                  `signed by ${r.signed.signature.keyId}: ${r.signed.signature.ref}`,
                  `attestations (${r.signed.attestations.predicateTypes.join(", ")}): ${r.signed.attestations.ref}; OCI 1.1 referrers ${r.signed.referrers}`,
              ]
            : []),
        ...r.mirrors.map((m) => renderCopy(m, false).replace(/^copied/, "mirrored")),
        `record: ${r.outputsFile}`,
        "",
        renderNotes(r.notes),
    ];
    return lines.join("\n");
}
