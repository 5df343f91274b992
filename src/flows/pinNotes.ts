import { CliDeps } from "./context";
import { notes, ReleaseNotes } from "./notes";

/** Which release notes a pin's pull request shows: the pinned digest's, in the stack's repository. */
export interface PinNotesQuery {
    repoRoot: string;
    stacksDir: string;
    repository: string;
    version: string;
    digest: string;
}

/** Collects the release notes of one pinned digest; throws when there are none (the PR says why). */
export type PinNotesFn = (q: PinNotesQuery, deps: CliDeps) => Promise<ReleaseNotes>;

/**
 * The default collector: the `notes` use case for the version, without writing its files. It lists and
 * HEADs every tag of the repository; a collector that reads only the one known digest replaces it.
 */
export const versionNotes: PinNotesFn = (q, deps) =>
    notes(
        {
            repoRoot: q.repoRoot,
            stacksDir: q.stacksDir,
            version: q.version,
            repository: q.repository,
            write: false,
        },
        deps,
    );

/** The notes for the PR, or the reason there are none: a pin without a version, or a failed collection. */
export async function pullRequestNotes(
    q: Omit<PinNotesQuery, "version"> & { version?: string },
    deps: CliDeps,
    collect: PinNotesFn = versionNotes,
): Promise<ReleaseNotes | string> {
    if (q.version === undefined) return "no version recorded for this pin, so no release notes";
    try {
        return await collect({ ...q, version: q.version }, deps);
    } catch (e) {
        return `release notes unavailable: ${(e as Error).message}`;
    }
}
