import { copiedTags } from "../release";
import { CliDeps } from "./context";
import { notesForDigest, ReleaseNotes } from "./notes";

/** Which release notes a pin's pull request shows: the pinned digest's, in the stack's repository. */
export interface PinNotesQuery {
    repoRoot: string;
    stacksDir: string;
    repository: string;
    version: string;
    digest: string;
    /** The commit the pin records: with the version, it names the release's immutable tags. */
    gitSha?: string;
}

/** Collects the release notes of one pinned digest; throws when there are none (the PR says why). */
export type PinNotesFn = (q: PinNotesQuery, deps: CliDeps) => Promise<ReleaseNotes>;

/**
 * The tags that are true of a pinned digest in its stack's repository without asking the registry: the
 * release's immutable tags, X.Y.Z and git-<7>, which a release (or the copy of a promotion) puts on this
 * one digest and never moves. Both are needed, as for the copy: without the commit, nothing is claimed.
 */
export function pinTags(version: string | undefined, gitSha: string | undefined): string[] {
    return version !== undefined && gitSha !== undefined ? copiedTags(version, gitSha) : [];
}

/**
 * The default collector: the notes of the one pinned digest (one describe and its signature), with the
 * tags {@link pinTags} names. It lists no tags and HEADs none, and writes nothing.
 */
export const digestNotes: PinNotesFn = (q, deps) =>
    notesForDigest(
        {
            repoRoot: q.repoRoot,
            stacksDir: q.stacksDir,
            repository: q.repository,
            digest: q.digest,
            version: q.version,
            tags: pinTags(q.version, q.gitSha),
        },
        deps,
    );

/** The notes for the PR, or the reason there are none: a pin without a version, or a failed collection. */
export async function pullRequestNotes(
    q: Omit<PinNotesQuery, "version"> & { version?: string },
    deps: CliDeps,
    collect: PinNotesFn = digestNotes,
): Promise<ReleaseNotes | string> {
    if (q.version === undefined) return "no version recorded for this pin, so no release notes";
    try {
        return await collect({ ...q, version: q.version }, deps);
    } catch (e) {
        return `release notes unavailable: ${(e as Error).message}`;
    }
}
