import { parseReference } from "./reference";
import { runningContainers } from "./running";

/** One pinned image of a stack, as the cluster should run it. */
export interface ClusterPin {
    /** The image's name in the stack (a set's member, or a single-image stack's one image). */
    readonly image: string;
    readonly repository: string;
    readonly digest: string;
}

/** A container that runs a pinned repository at anything but its pin. */
export interface ClusterDrift {
    /** The pinned image it should run. */
    readonly image: string;
    /** `Deployment/api`. */
    readonly workload: string;
    readonly container: string;
    /** What the cluster runs. */
    readonly running: string;
    /** `repository@digest`, the pin. */
    readonly pinned: string;
}

/**
 * Which workloads in a namespace run a pinned repository at another reference than its pin (a hand-run
 * `kubectl set image`, `rollout undo`, a tag). `objects` are the namespace's objects as the API returns
 * them; a Pod or ReplicaSet that a controller owns is judged through its owner (during a rollout its old
 * Pods still run the old image, which is not drift). Images of other repositories are not the pin's.
 */
export function clusterDrift(objects: readonly unknown[], pins: readonly ClusterPin[]): ClusterDrift[] {
    const byName = new Map(pins.map((p) => [parseReference(p.repository).name, p]));
    const out: ClusterDrift[] = [];
    for (const c of runningContainers(objects)) {
        if (c.owned) continue;
        let ref;
        try {
            ref = parseReference(c.image);
        } catch {
            continue;
        }
        const pin = byName.get(ref.name);
        if (pin === undefined || ref.digest === pin.digest) continue;
        out.push({
            image: pin.image,
            workload: `${c.kind}/${c.name}`,
            container: c.container,
            running: c.image,
            pinned: `${pin.repository}@${pin.digest}`,
        });
    }
    return out;
}
