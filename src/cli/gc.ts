import { DEFAULT_KEEP_HISTORY, gc, gcProblems, GcResult } from "../flows";
import { DeletionGroup } from "../release";
import { defineCommand } from "./action";
import { atLeastOne, CommonOptions, stackDirs } from "./commonOptions";
import { parseConcurrency } from "./status";

export interface GcFlags extends CommonOptions {
    plan?: true;
    apply?: true;
    olderThan?: string;
    keepHistory: number;
    out?: string;
    /** false with `--no-cluster`. */
    cluster: boolean;
    concurrency: number;
}

/** One may-go line: the image, when it was made, its tags; then what goes with it. */
function groupLines(g: DeletionGroup): string[] {
    const age = g.created !== undefined ? `created ${g.created}` : `age unknown: ${g.ageProblem ?? "?"}`;
    return [
        `  ${g.repository}@${g.digest}  ${age}  tags ${g.tags.join(", ")}`,
        ...g.children.map((c) => `    + ${c.platform ?? "manifest"} ${c.digest}`),
        ...g.artifacts.map((a) => `    + ${a.tag} ${a.digest}`),
    ];
}

function section(label: string, note: string, groups: DeletionGroup[], always = false): string[] {
    if (groups.length === 0 && !always) return [];
    return [`${label} (${groups.length}): ${note}`, ...groups.flatMap(groupLines)];
}

/** What was read: each stack's pins and history, and whether the clusters were asked what runs. */
function header(r: GcResult): string[] {
    const running =
        r.namespaces !== undefined
            ? `running images: read from ${r.namespaces.join(", ") || "no namespace"}`
            : "running images: not read (--no-cluster): a digest that only a cluster runs may be listed as may go";
    return [
        `kept: each stack's pin, its ${r.keepHistory} newest history entries, its channel tag and what runs, with their manifests, .sig and .att`,
        running,
        `repositories: ${r.repositories.join(", ")}`,
    ];
}

export function renderGc(r: GcResult): string {
    const age = r.olderThan !== undefined ? ` and older than ${r.olderThan}` : "";
    const lines = [
        ...header(r),
        `kept (${r.kept.length}):`,
        ...r.kept.map((k) => `  ${k.digest}  ${k.reasons.join("; ")}`),
        ...section(
            "may go",
            `outside the keep set${age}; deleting a manifest by digest removes every tag on it`,
            r.mayGo,
            true,
        ),
        ...section(`not older than ${r.olderThan ?? "-"}`, "stays", r.tooNew),
        ...section("age unknown", "never deleted by --apply", r.ageUnknown),
        ...(r.out !== undefined ? [`may-go list: ${r.out}`] : []),
        ...(r.deleted !== undefined
            ? [`deleted (${r.deleted.length}):`, ...r.deleted.map((d) => `  ${d}`)]
            : []),
    ];
    return lines.join("\n") + "\n";
}

export const gcCommand = defineCommand<GcFlags, GcResult>({
    name: "gc",
    description:
        "retention: what to keep in the stacks' repositories (pins, recent history, what runs) and what may go (--plan); --apply deletes what may go",
    flags: (cmd) =>
        cmd
            .option("--plan", "print the keep set, with why each digest is kept, and what may go")
            .option("--apply", "delete what may go and is older than --older-than (never a kept digest)")
            .option("--older-than <age>", "only what is older than this may go: days or hours, e.g. 30d, 12h")
            .option(
                "--keep-history <n>",
                "how many of each stack's newest history entries to keep (integer >= 1)",
                atLeastOne("--keep-history", "an integer"),
                DEFAULT_KEEP_HISTORY,
            )
            .option(
                "--out <file>",
                "write the may-go list (one repository@digest a line) for a lifecycle tool",
            )
            .option("--no-cluster", "do not read what runs in each stack's namespace (kubectl)")
            .option("--concurrency <n>", "parallel registry calls (integer >= 1)", parseConcurrency, 16),
    nonEmpty: (o) => ({ "--out": o.out }),
    problems: (o) => [
        ...(o.plan === o.apply ? ["gc needs one of --plan and --apply"] : []),
        ...gcProblems({
            apply: o.apply,
            keepHistory: o.keepHistory,
            olderThan: o.olderThan,
            cluster: o.cluster,
        }),
    ],
    run: (o, deps) =>
        gc(
            {
                ...stackDirs(o),
                ...(o.apply ? { apply: true } : {}),
                ...(o.olderThan !== undefined ? { olderThan: o.olderThan } : {}),
                keepHistory: o.keepHistory,
                ...(o.out !== undefined ? { out: o.out } : {}),
                cluster: o.cluster,
                concurrency: o.concurrency,
            },
            deps,
        ),
    render: (r) => renderGc(r),
});
