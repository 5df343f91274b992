import { clusterDrift, ClusterPin, parseReference, WORKLOAD_KINDS, workloadImages } from "../release";

/** A namespace's objects as `kubectl get … -o json` lists them. */
interface KubeObject {
    kind?: string;
    metadata?: {
        name?: string;
        generation?: number;
        ownerReferences?: unknown[];
        deletionTimestamp?: string;
    };
    spec?: Record<string, unknown>;
    status?: Record<string, unknown>;
}

const num = (v: unknown): number => (typeof v === "number" ? v : 0);

/** Where a Pod keeps its containers: the one list of workload kinds has it. */
const POD = WORKLOAD_KINDS.find((k) => k.kind === "Pod") ?? {
    kind: "Pod",
    groups: ["core"],
    podSpecPath: ["spec"],
};

/** Why a top-level workload is not (yet) ready, or undefined when it is. */
function notReady(o: KubeObject): string | undefined {
    const spec = o.spec ?? {};
    const st = o.status ?? {};
    const want = typeof spec.replicas === "number" ? spec.replicas : 1;
    const generation = o.metadata?.generation ?? 0;
    if ((o.kind === "Deployment" || o.kind === "StatefulSet") && num(st.observedGeneration) < generation) {
        return `its controller has not seen generation ${generation} yet`;
    }
    switch (o.kind) {
        case "Deployment":
        case "StatefulSet":
        case "ReplicaSet":
            if (num(st.updatedReplicas) < want && o.kind !== "ReplicaSet")
                return `${num(st.updatedReplicas)} of ${want} replicas updated`;
            if (num(st.readyReplicas) < want) return `${num(st.readyReplicas)} of ${want} replicas ready`;
            if (num(st.replicas) > want) return `${num(st.replicas) - want} old replica(s) still running`;
            return undefined;
        case "DaemonSet": {
            const desired = num(st.desiredNumberScheduled);
            if (num(st.updatedNumberScheduled) < desired)
                return `${num(st.updatedNumberScheduled)} of ${desired} updated`;
            return num(st.numberReady) < desired ? `${num(st.numberReady)} of ${desired} ready` : undefined;
        }
        case "Job": {
            const completions = typeof spec.completions === "number" ? spec.completions : 1;
            if (num(st.failed) > 0 && num(st.succeeded) < completions)
                return `${num(st.failed)} Pod(s) failed`;
            return num(st.succeeded) < completions
                ? `${num(st.succeeded)} of ${completions} completed`
                : undefined;
        }
        case "Pod": {
            const ready = ((st.conditions as { type?: string; status?: string }[] | undefined) ?? []).some(
                (c) => c.type === "Ready" && c.status === "True",
            );
            return ready
                ? undefined
                : `phase ${typeof st.phase === "string" ? st.phase : "Pending"}, not Ready`;
        }
        default:
            return undefined;
    }
}

interface ContainerStatus {
    name?: string;
    image?: string;
    imageID?: string;
    restartCount?: number;
}

/** A Pod's containers that break the rollout: too many restarts, or a pinned image run from other bytes. */
function podProblems(
    pod: KubeObject,
    pins: readonly ClusterPin[],
    allowed: ReadonlySet<string>,
    maxRestarts: number,
): string[] {
    const name = `Pod/${pod.metadata?.name ?? ""}`;
    const byName = new Map(pins.map((p) => [parseReference(p.repository).name, p]));
    const problems: string[] = [];
    const statuses = [
        ...(((pod.status ?? {}).initContainerStatuses as ContainerStatus[] | undefined) ?? []),
        ...(((pod.status ?? {}).containerStatuses as ContainerStatus[] | undefined) ?? []),
    ];
    const images = new Map(workloadImages(POD, pod).map((c) => [c.name, c.image]));
    for (const [container, image] of images) {
        let repo: string;
        try {
            repo = parseReference(image).name;
        } catch {
            problems.push(`${name} container ${container} runs ${image}, which is not an image reference`);
            continue;
        }
        const pin = byName.get(repo);
        if (pin === undefined) {
            if (!allowed.has(repo))
                problems.push(
                    `${name} container ${container} runs ${image}, which the stack neither pins nor allows`,
                );
            continue;
        }
        const s = statuses.find((x) => x.name === container);
        // imageID is what the node really pulled (repo@sha256:…); empty until the pull is done.
        if (s?.imageID && !s.imageID.endsWith(`@${pin.digest}`)) {
            problems.push(`${name} container ${container} runs ${s.imageID}, not the pin ${pin.digest}`);
        }
        if (num(s?.restartCount) > maxRestarts) {
            problems.push(
                `${name} container ${container} restarted ${num(s?.restartCount)} times (at most ${maxRestarts})`,
            );
        }
    }
    return problems;
}

/**
 * The rollout as the cluster sees it, once: every workload that runs a pinned repository runs exactly its
 * pin and is ready; every live Pod runs pinned or allowed images, from the pinned bytes (its imageID), and
 * no container of a pinned image restarted more than `maxRestarts` times. Returns what is wrong, one line
 * each naming the resource; `[]` means the rollout passed.
 */
export function rolloutProblems(
    objects: readonly unknown[],
    pins: readonly ClusterPin[],
    allow: readonly string[],
    maxRestarts: number,
): string[] {
    const problems = clusterDrift(objects, pins).map(
        (d) => `${d.workload} container ${d.container} runs ${d.running}, not the pin ${d.pinned}`,
    );
    const allowed = new Set(allow.map((r) => parseReference(r).name));
    const pinned = new Set(pins.map((p) => parseReference(p.repository).name));
    let running = 0;
    for (const raw of objects) {
        const o = raw as KubeObject;
        const kind = WORKLOAD_KINDS.find((k) => k.kind === o.kind);
        if (kind === undefined || o.metadata?.deletionTimestamp !== undefined) continue;
        // A finished Pod (an earlier run of a Job) ran what was pinned then; its Job says how it ended.
        const finished = ["Succeeded", "Failed"].includes(String(o.status?.phase));
        if (o.kind === "Pod" && !finished) problems.push(...podProblems(o, pins, allowed, maxRestarts));
        if ((o.metadata?.ownerReferences ?? []).length > 0) continue;
        const runsPin = workloadImages(kind, o).some((c) => {
            try {
                return pinned.has(parseReference(c.image).name);
            } catch {
                return false;
            }
        });
        if (!runsPin) continue;
        running++;
        // A CronJob runs on its schedule; the Jobs it made are judged as its own.
        if (o.kind === "CronJob") continue;
        const why = notReady(o);
        if (why !== undefined) problems.push(`${o.kind}/${o.metadata?.name ?? ""}: ${why}`);
    }
    if (running === 0) problems.push("no workload in the namespace runs a pinned image");
    return problems;
}
