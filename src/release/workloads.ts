/**
 * The Kubernetes kinds that run containers, and where each keeps its pod spec: the one list that the
 * policy pack judges, and that the stack transform which pins images walks. A kind missing here is a
 * workload whose images nothing checks, so every kind that creates Pods is listed, in every API group
 * that has served it (a removed beta group still reaches a policy as a type token).
 */
export interface WorkloadKind {
    readonly kind: string;
    /** The API groups that serve it, spelled as Pulumi's type tokens spell them (`core` for ""). */
    readonly groups: readonly string[];
    /** The path from the object (or the resource's inputs) to its pod spec. */
    readonly podSpecPath: readonly string[];
}

const TEMPLATE = ["spec", "template", "spec"] as const;

export const WORKLOAD_KINDS: readonly WorkloadKind[] = [
    { kind: "Deployment", groups: ["apps", "extensions"], podSpecPath: TEMPLATE },
    { kind: "StatefulSet", groups: ["apps"], podSpecPath: TEMPLATE },
    { kind: "DaemonSet", groups: ["apps", "extensions"], podSpecPath: TEMPLATE },
    { kind: "ReplicaSet", groups: ["apps", "extensions"], podSpecPath: TEMPLATE },
    { kind: "ReplicationController", groups: ["core"], podSpecPath: TEMPLATE },
    { kind: "Job", groups: ["batch"], podSpecPath: TEMPLATE },
    { kind: "CronJob", groups: ["batch"], podSpecPath: ["spec", "jobTemplate", "spec", "template", "spec"] },
    { kind: "Pod", groups: ["core"], podSpecPath: ["spec"] },
];

/** A resource type token that names a workload: its kind, and whether it is a server-side-apply Patch. */
export interface Workload {
    readonly kind: WorkloadKind;
    /** `kubernetes:apps/v1:DeploymentPatch`: it sets only the fields it names, images included. */
    readonly patch: boolean;
}

/**
 * The workload a Pulumi Kubernetes type token (`kubernetes:<group>/<version>:<Kind>[Patch]`) names, in
 * any version of a group that serves the kind; undefined for anything else.
 */
export function workloadOf(type: string): Workload | undefined {
    const m = /^kubernetes:([a-z0-9.-]+)\/[a-z0-9]+:([A-Za-z]+?)(Patch)?$/.exec(type);
    if (m === null) return undefined;
    const kind = WORKLOAD_KINDS.find((k) => k.kind === m[2] && k.groups.includes(m[1]));
    return kind === undefined ? undefined : { kind, patch: m[3] !== undefined };
}

/** The container lists of a pod spec that name images. */
export const CONTAINER_FIELDS = ["initContainers", "containers", "ephemeralContainers"] as const;

export interface ContainerImage {
    readonly field: (typeof CONTAINER_FIELDS)[number];
    /** The container's name, "" when it has none (a Patch may leave it out). */
    readonly name: string;
    readonly image: string;
}

/** The value at `path` inside `node`, or undefined where any step is missing or not an object. */
function at(node: unknown, path: readonly string[]): unknown {
    for (const key of path) {
        node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
    return node;
}

/**
 * Every image the workload's pod spec names, init containers first, in the order written. Entries
 * without a string image are skipped: a Patch may name a container only to change something else.
 */
export function workloadImages(kind: WorkloadKind, props: unknown): ContainerImage[] {
    const podSpec = at(props, kind.podSpecPath);
    const out: ContainerImage[] = [];
    for (const field of CONTAINER_FIELDS) {
        const list = at(podSpec, [field]);
        if (!Array.isArray(list)) continue;
        for (const c of list as unknown[]) {
            const image = at(c, ["image"]);
            const name = at(c, ["name"]);
            if (typeof image === "string")
                out.push({ field, name: typeof name === "string" ? name : "", image });
        }
    }
    return out;
}
