import { ordinal } from "./age";
import { ImageReference, parseReference } from "./reference";

/* The digests retention keeps, each with every reason it is kept. */

/** A tag of a repository and the digest it names; `artifact` for a cosign `sha256-<hex>.sig`/`.att` tag. */
export interface ListedTag {
    tag: string;
    digest: string;
    artifact?: { kind: "sig" | "att"; subject: string };
}

/** A manifest an index names: a platform's image (or an attestation manifest beside them). */
export interface ManifestChild {
    digest: string;
    /** `linux/amd64`; absent when the index gives none. */
    platform?: string;
}

/** What one repository the stacks use holds. */
export interface RepositoryListing {
    repository: string;
    tags: ListedTag[];
    /** Every manifest read there, by digest, with the manifests it names (none for an image). */
    manifests: Record<string, ManifestChild[]>;
}

/** A container image that runs in a stack's namespace. */
export interface RunningImage {
    namespace: string;
    /** `Deployment hello` */
    workload: string;
    /** As the pod spec names it: `repo@sha256:…`, `repo:tag` or `repo`. */
    image: string;
}

export interface KeepInput {
    /** Every pin of the stack files now; `image` names a set's member. */
    pins: { stack: string; image?: string; digest: string }[];
    /** Each stack's history, rank 1 the newest entry; the ranks up to `keepHistory` are kept. */
    history: { stack: string; rank: number; image?: string; digest: string }[];
    keepHistory: number;
    /** Each stack's channel tag, in each repository it pins: what its last `pulumi up` deployed. */
    channels: { stack: string; repository: string; tag: string }[];
    /** What runs in the stacks' namespaces; absent when it was not read. */
    running?: RunningImage[];
    repositories: RepositoryListing[];
}

/** Kept digests, each with its reasons in the order they were found. */
export type KeepSet = Map<string, string[]>;

function parsed(ref: string): ImageReference | undefined {
    try {
        return parseReference(ref);
    } catch {
        return undefined;
    }
}

/** The listing of a repository by its name (`docker.io/x` and `x` are one), if the stacks use it. */
export function listingOf(repos: RepositoryListing[], name: string): RepositoryListing | undefined {
    const want = parsed(name)?.name ?? name;
    return repos.find((r) => (parsed(r.repository)?.name ?? r.repository) === want);
}

function digestOfTag(repos: RepositoryListing[], repository: string, tag: string): string | undefined {
    return listingOf(repos, repository)?.tags.find((t) => t.tag === tag)?.digest;
}

/** What a running image names: its digest, else the digest its tag names in a repository of the stacks. */
function runningDigest(repos: RepositoryListing[], image: string): string | undefined {
    const ref = parsed(image);
    if (ref === undefined) return undefined;
    return ref.digest ?? digestOfTag(repos, ref.name, ref.tag ?? "latest");
}

/** The roots: pins, recent history, channel tags and what runs. */
function roots(input: KeepInput, add: (digest: string | undefined, reason: string) => void): void {
    const who = (stack: string, image?: string) => (image === undefined ? stack : `${stack} (${image})`);
    for (const p of input.pins) add(p.digest, `pinned in ${who(p.stack, p.image)}`);
    for (const h of input.history) {
        if (h.rank > input.keepHistory) continue;
        const which = `${h.image !== undefined ? `${h.image}, ` : ""}${ordinal(h.rank)} newest`;
        add(h.digest, `history of ${h.stack} (${which})`);
    }
    for (const c of input.channels) {
        add(digestOfTag(input.repositories, c.repository, c.tag), `channel tag ${c.tag} of ${c.stack}`);
    }
    for (const r of input.running ?? []) {
        add(runningDigest(input.repositories, r.image), `running in ${r.namespace}/${r.workload}`);
    }
}

/**
 * What travels with a kept digest, until nothing more is added: every manifest of a kept index, and
 * the `.sig`/`.att` of every kept digest. An index that merely holds a kept manifest is not kept by
 * it: the manifest stays either way, and two indexes may share one platform's image.
 */
function closeOver(
    keep: KeepSet,
    repos: RepositoryListing[],
    add: (digest: string, reason: string) => void,
): void {
    for (let size = -1; size !== keep.size;) {
        size = keep.size;
        for (const r of repos) {
            for (const [index, children] of Object.entries(r.manifests)) {
                if (!keep.has(index)) continue;
                for (const c of children) add(c.digest, `${c.platform ?? "manifest"} of ${index}`);
            }
            for (const t of r.tags) {
                if (t.artifact && keep.has(t.artifact.subject)) {
                    add(t.digest, `.${t.artifact.kind} of ${t.artifact.subject}`);
                }
            }
        }
    }
}

/**
 * Every digest retention keeps, in any repository of the stacks: pinned in a stack now, in the newest
 * `keepHistory` entries of a stack's history, a stack's channel tag, running in a stack's namespace,
 * and what travels with those (an index's manifests, `.sig` and `.att`).
 */
export function keepSet(input: KeepInput): KeepSet {
    const keep: KeepSet = new Map();
    const add = (digest: string | undefined, reason: string): void => {
        if (digest === undefined) return;
        const reasons = keep.get(digest) ?? [];
        if (!reasons.includes(reason)) reasons.push(reason);
        keep.set(digest, reasons);
    };
    roots(input, add);
    closeOver(keep, input.repositories, add);
    return keep;
}
