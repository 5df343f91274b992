import { olderThan } from "./age";
import { KeepInput, KeepSet, keepSet, ListedTag, ManifestChild, RepositoryListing } from "./keepSet";

/* Which tagged manifests of the stacks' repositories may go, and which stay and why. */

/** An image's age: its config's `created` (an index: its newest platform's), or why there is none. */
export interface ImageAge {
    created?: string;
    problem?: string;
}

export interface RetentionInput extends KeepInput {
    /** Each candidate image's age, by digest. */
    ages: Record<string, ImageAge>;
    /** Only candidates older than this (milliseconds) go; absent, every candidate may go. */
    olderThanMs?: number;
    now: Date;
}

export interface KeptDigest {
    digest: string;
    reasons: string[];
    /** The repositories of the stacks that hold it. */
    repositories: string[];
}

/** A tagged manifest outside the keep set, and what goes with it. */
export interface DeletionGroup {
    repository: string;
    digest: string;
    /** Every tag on it: deleting a manifest by digest removes them all. */
    tags: string[];
    created?: string;
    /** Why it has no age; `gc --apply` never deletes it. */
    ageProblem?: string;
    /** An index's manifests that nothing staying holds: they go after it (only when it goes). */
    children: ManifestChild[];
    /** Its `.sig`/`.att` manifests in the repository: they go after it. */
    artifacts: { tag: string; digest: string }[];
}

export interface RetentionPlan {
    kept: KeptDigest[];
    /** What may go: with an age, only what is older. */
    mayGo: DeletionGroup[];
    /** With an age: candidates not older than it. */
    tooNew: DeletionGroup[];
    /** With an age: candidates without a readable one. */
    ageUnknown: DeletionGroup[];
}

/** The tagged digests of a repository outside the keep set, with their tags. */
function taggedOutside(r: RepositoryListing, keep: KeepSet): Map<string, ListedTag[]> {
    const out = new Map<string, ListedTag[]>();
    for (const t of r.tags) {
        if (!keep.has(t.digest)) out.set(t.digest, [...(out.get(t.digest) ?? []), t]);
    }
    return out;
}

/** The one image every tag of an artifact manifest names, when all of its tags are `.sig`/`.att` tags. */
function subjectOf(tags: ListedTag[]): string | undefined {
    const subjects = new Set(tags.map((t) => t.artifact?.subject));
    const [only] = [...subjects];
    return subjects.size === 1 ? only : undefined;
}

/** One group per candidate image (its `.sig`/`.att` with it), and one per artifact of an image not here. */
function groupsOf(r: RepositoryListing, keep: KeepSet, ages: Record<string, ImageAge>): DeletionGroup[] {
    const outside = taggedOutside(r, keep);
    const groups = new Map<string, DeletionGroup>();
    const artifactOf = new Map<string, string>();
    for (const [digest, tags] of outside) {
        const subject = subjectOf(tags);
        if (
            subject !== undefined &&
            outside.has(subject) &&
            subjectOf(outside.get(subject) ?? []) === undefined
        ) {
            artifactOf.set(digest, subject);
            continue;
        }
        const age: ImageAge =
            subject !== undefined
                ? { problem: `${tags.map((t) => t.tag).join(", ")} of ${subject}, which has no tag here` }
                : (ages[digest] ?? { problem: "its age was not read" });
        groups.set(digest, {
            repository: r.repository,
            digest,
            tags: tags.map((t) => t.tag),
            ...(age.created !== undefined ? { created: age.created } : { ageProblem: age.problem }),
            children: [],
            artifacts: [],
        });
    }
    for (const [digest, subject] of artifactOf) {
        const group = groups.get(subject) as DeletionGroup;
        for (const t of outside.get(digest) ?? []) group.artifacts.push({ tag: t.tag, digest });
    }
    return [...groups.values()];
}

type Verdict = "mayGo" | "tooNew" | "ageUnknown";

function verdictOf(g: DeletionGroup, input: RetentionInput): Verdict {
    if (input.olderThanMs === undefined) return "mayGo";
    if (g.created === undefined) return "ageUnknown";
    const old = olderThan(g.created, input.olderThanMs, input.now);
    if (old === undefined) g.ageProblem = `its created time "${g.created}" is no time`;
    return old === undefined ? "ageUnknown" : old ? "mayGo" : "tooNew";
}

/**
 * The manifests each going index takes with it: its own that nothing kept, tagged or staying holds
 * (a platform's image may be shared with an index that stays), each with the first index that names it.
 */
function childrenGoing(r: RepositoryListing, keep: KeepSet, going: DeletionGroup[]): void {
    const goes = new Set(going.map((g) => g.digest));
    const held = new Set<string>(r.tags.map((t) => t.digest));
    for (const [digest, children] of Object.entries(r.manifests)) {
        if (!goes.has(digest)) for (const c of children) held.add(c.digest);
    }
    for (const g of going) {
        for (const c of r.manifests[g.digest] ?? []) {
            if (keep.has(c.digest) || held.has(c.digest)) continue;
            held.add(c.digest);
            g.children.push(c);
        }
    }
}

/** Where a kept digest is: tagged, read, or named by a manifest read in each repository. */
function keptDigests(keep: KeepSet, repos: RepositoryListing[]): KeptDigest[] {
    const holds = (r: RepositoryListing, d: string): boolean =>
        r.tags.some((t) => t.digest === d) ||
        d in r.manifests ||
        Object.values(r.manifests).some((cs) => cs.some((c) => c.digest === d));
    const out: KeptDigest[] = [];
    for (const [digest, reasons] of keep) {
        const repositories = repos.filter((r) => holds(r, digest)).map((r) => r.repository);
        if (repositories.length > 0) out.push({ digest, reasons, repositories });
    }
    return out;
}

/** Oldest first; an unknown age last; then by digest. */
function byAge(a: DeletionGroup, b: DeletionGroup): number {
    const ta = a.created !== undefined ? Date.parse(a.created) : Infinity;
    const tb = b.created !== undefined ? Date.parse(b.created) : Infinity;
    return ta !== tb ? (ta < tb ? -1 : 1) : a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

/**
 * The retention plan: the keep set with its reasons, and each tagged manifest outside it with its tags,
 * the manifests and `.sig`/`.att` that go with it, sorted by what an age lets go.
 */
export function retentionPlan(input: RetentionInput): RetentionPlan {
    const keep = keepSet(input);
    const plan: RetentionPlan = {
        kept: keptDigests(keep, input.repositories),
        mayGo: [],
        tooNew: [],
        ageUnknown: [],
    };
    for (const r of input.repositories) {
        const groups = groupsOf(r, keep, input.ages).sort(byAge);
        const verdicts = groups.map((g) => verdictOf(g, input));
        childrenGoing(
            r,
            keep,
            groups.filter((_, i) => verdicts[i] === "mayGo"),
        );
        groups.forEach((g, i) => plan[verdicts[i]].push(g));
    }
    return plan;
}

/** Each `repository@digest` a deletion group removes, in order: the image, its manifests, its artifacts. */
export function deletionRefs(g: DeletionGroup): { repository: string; digest: string }[] {
    return [g.digest, ...g.children.map((c) => c.digest), ...g.artifacts.map((a) => a.digest)].map(
        (digest) => ({ repository: g.repository, digest }),
    );
}
