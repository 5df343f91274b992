import { ManifestNotFoundError, RegistryError } from "../registry";
import { deletionRefs, keepSet, parseReference, RetentionPlan } from "../release";
import { Refusal } from "./refusal";
import { readRetention, RetentionDeps, RetentionReadOptions } from "./retentionInputs";

type Ref = { repository: string; digest: string };

const refText = (r: Ref): string => `${r.repository}@${r.digest}`;

/** A delete the registry refused: which registry, what it said, and that nothing more was deleted. */
function refusedDelete(r: Ref, e: Error, deleted: string[]): Refusal {
    const registry = parseReference(r.repository).registry;
    const disabled =
        e instanceof RegistryError && e.status === 405
            ? " (deletes are disabled there: distribution's storage.delete.enabled)"
            : "";
    const before = deleted.length === 0 ? "none" : deleted.join(", ");
    return new Refusal(
        `registry ${registry} refused to delete: ${e.message}${disabled}; nothing more was deleted (deleted before it: ${before})`,
    );
}

/**
 * Deletes what the plan lets go, each image before its manifests and artifacts. The keep set is read
 * again first, and a planned deletion it now holds (a pin or a rollout since the plan) refuses the
 * whole run before anything is deleted. The first delete the registry refuses ends it.
 */
export async function deletePlanned(
    plan: RetentionPlan,
    o: RetentionReadOptions,
    deps: RetentionDeps,
): Promise<string[]> {
    const refs = plan.mayGo.flatMap(deletionRefs);
    if (refs.length === 0) return [];
    const keep = keepSet((await readRetention(o, deps)).input);
    const kept = refs.find((r) => keep.has(r.digest));
    if (kept !== undefined) {
        throw new Refusal(
            `${refText(kept)} is kept now (${(keep.get(kept.digest) ?? []).join("; ")}): the keep set changed since the plan was read; nothing was deleted`,
        );
    }
    const deleted: string[] = [];
    for (const r of refs) {
        try {
            await deps.client.deleteManifest(r.repository, r.digest, { confirm: true });
        } catch (e) {
            // Gone already (another run, the registry's own lifecycle): the end state is the same.
            if (!(e instanceof ManifestNotFoundError)) throw refusedDelete(r, e as Error, deleted);
        }
        deleted.push(refText(r));
    }
    return deleted;
}
