import { WORKLOAD_KINDS, workloadImages } from "./workloads";

/** One container of an object in a namespace, and the image it names. */
export interface RunningContainer {
    /** `Deployment`, `Pod`, … */
    readonly kind: string;
    readonly name: string;
    readonly container: string;
    readonly image: string;
    /** A controller owns the object (a rollout's ReplicaSet, a Deployment's Pods). */
    readonly owned: boolean;
}

interface KubeObject {
    kind?: unknown;
    metadata?: { name?: unknown; ownerReferences?: unknown };
}

/**
 * Every container of every object that runs containers, as the API returns a namespace's objects
 * (`kubectl get … -o json`'s items): what `status --cluster` judges and what `gc` keeps. Objects of
 * other kinds are left out.
 */
export function runningContainers(objects: readonly unknown[]): RunningContainer[] {
    const out: RunningContainer[] = [];
    for (const raw of objects) {
        const o = raw as KubeObject;
        const kind = WORKLOAD_KINDS.find((k) => k.kind === o.kind);
        if (kind === undefined) continue;
        const owners = o.metadata?.ownerReferences;
        const owned = Array.isArray(owners) && owners.length > 0;
        const name = typeof o.metadata?.name === "string" ? o.metadata.name : "";
        for (const c of workloadImages(kind, raw)) {
            out.push({ kind: kind.kind, name, container: c.name, image: c.image, owned });
        }
    }
    return out;
}
