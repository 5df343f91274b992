import * as path from "path";
import {
    DeletionGroup,
    deletionRefs,
    KeptDigest,
    keepSet,
    parseAge,
    retentionPlan,
    writeFileAtomic,
} from "../release";
import { deletePlanned } from "./gcApply";
import { UsageRefusal } from "./refusal";
import { candidateAges } from "./repositoryListing";
import { readRetention, RetentionDeps, RetentionReadOptions } from "./retentionInputs";
import { StackOptions } from "./stack";

/** How many of each stack's newest history entries `gc` keeps unless told. */
export const DEFAULT_KEEP_HISTORY = 10;

export interface GcOptions extends StackOptions {
    /** Delete what may go (requires `olderThan`); otherwise only plan. */
    apply?: boolean;
    /** Each stack's newest history entries kept (default 10). */
    keepHistory?: number;
    /** Only what is older than this (`30d`, `12h`) may go. */
    olderThan?: string;
    /** Read what runs in each stack's namespace (default true). */
    cluster?: boolean;
    /** Writes the may-go list here, one `repository@digest` a line. */
    out?: string;
    concurrency?: number;
}

export interface GcResult {
    mode: "plan" | "apply";
    keepHistory: number;
    olderThan?: string;
    /** `stack/namespace` of each namespace read; absent when running images were not read. */
    namespaces?: string[];
    repositories: string[];
    kept: KeptDigest[];
    mayGo: DeletionGroup[];
    tooNew: DeletionGroup[];
    ageUnknown: DeletionGroup[];
    /** The file the may-go list was written to. */
    out?: string;
    /** With `apply`: each `repository@digest` deleted, in order. */
    deleted?: string[];
}

/** One wording for a malformed `--older-than`, from the CLI and the flow alike. */
export function olderThanProblem(v: string): string | undefined {
    return parseAge(v) === undefined
        ? `--older-than "${v}" is not an age: a whole number of days or hours, e.g. 30d or 12h`
        : undefined;
}

/** Every problem of the options together: what the CLI refuses as usage, and the flow as well. */
export function gcProblems(o: Pick<GcOptions, "apply" | "keepHistory" | "olderThan" | "cluster">): string[] {
    const n = o.keepHistory ?? DEFAULT_KEEP_HISTORY;
    return [
        ...(Number.isInteger(n) && n >= 1 ? [] : [`--keep-history must be an integer >= 1 (got "${n}")`]),
        ...(o.olderThan !== undefined ? [olderThanProblem(o.olderThan) ?? []].flat() : []),
        ...(o.apply && o.olderThan === undefined ? ["--apply needs --older-than (e.g. 30d)"] : []),
        // What only the cluster runs (an old ReplicaSet that `rollout undo` goes back to) is kept only
        // when the cluster is read: a delete without it could take an image a node still has to pull.
        ...(o.apply && o.cluster === false
            ? ["--apply reads the clusters (what runs is kept): drop --no-cluster, or plan without --apply"]
            : []),
    ];
}

/** The may-go list for a registry's lifecycle or GC tool: each image, then its manifests and artifacts. */
export function mayGoLines(mayGo: DeletionGroup[]): string {
    return mayGo
        .flatMap(deletionRefs)
        .map((r) => `${r.repository}@${r.digest}\n`)
        .join("");
}

/**
 * `image-release gc`: the keep set of every repository the stacks use (pins, recent history, channel
 * tags, running images, and what goes with them) and what lies outside it; with `apply`, deletes what
 * is older than `olderThan`, checking the keep set again first.
 */
export async function gc(o: GcOptions, deps: RetentionDeps): Promise<GcResult> {
    const found = gcProblems(o);
    if (found.length > 0) throw new UsageRefusal(found.join("\n"));
    const ro: RetentionReadOptions = {
        repoRoot: o.repoRoot,
        stacksDir: o.stacksDir,
        keepHistory: o.keepHistory ?? DEFAULT_KEEP_HISTORY,
        cluster: o.cluster !== false,
        concurrency: o.concurrency ?? 16,
    };
    const read = await readRetention(ro, deps);
    const ages = await candidateAges(
        deps.client,
        read.input.repositories,
        keepSet(read.input),
        ro.concurrency,
    );
    const olderThanMs = o.olderThan !== undefined ? parseAge(o.olderThan) : undefined;
    const plan = retentionPlan({
        ...read.input,
        ages,
        ...(olderThanMs !== undefined ? { olderThanMs } : {}),
        now: deps.now?.() ?? new Date(),
    });
    if (o.out !== undefined) writeFileAtomic(path.resolve(o.out), mayGoLines(plan.mayGo));
    const result: GcResult = {
        mode: o.apply ? "apply" : "plan",
        keepHistory: ro.keepHistory,
        ...(o.olderThan !== undefined ? { olderThan: o.olderThan } : {}),
        ...(read.namespaces ? { namespaces: read.namespaces } : {}),
        repositories: read.repositories,
        ...plan,
        ...(o.out !== undefined ? { out: o.out } : {}),
    };
    return o.apply ? { ...result, deleted: await deletePlanned(plan, ro, deps) } : result;
}
