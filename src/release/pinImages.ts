import { ReleaseRuleError } from "./errors";
import { parseReference } from "./reference";
import { CONTAINER_FIELDS, ContainerImage, WorkloadKind } from "./workloads";

/** One pinned image of the stack, as the workload rewrite needs it. */
export interface ImagePin {
    /** Where the image lives, as the stack config writes it: `127.0.0.1:5000/shop/api`. */
    readonly repository: string;
    readonly digest: string;
    readonly version: string;
    readonly gitSha: string;
    readonly promotedFrom?: string;
    /** The trusted key that verified the digest's signature, when one was required. */
    readonly signedBy?: string;
}

/**
 * `strict` (staging and prod): every workload image must be a digest of a pinned or allowed repository.
 * `rewrite` (dev): pinned repositories are rewritten to their digest, nothing is refused.
 */
export type PinMode = "strict" | "rewrite";

export interface PinImagesOptions {
    readonly mode: PinMode;
    /** Repositories outside the set that may run (third-party images); in strict mode still by digest. */
    readonly allow?: readonly string[];
    /** How a message names an image's config key; default `image-release:images.<name>.<key>`. */
    readonly keyLabel?: (image: string, key: string) => string;
}

/** The result for one workload: the rewritten object, and the pins its containers run. */
export interface PinnedImages {
    /** `props` with every rewritten image; the same object when nothing changed. */
    readonly props: unknown;
    /** Names of the pins whose repository a container names (rewritten, or already at the digest). */
    readonly matched: readonly string[];
    /** Names of the pins an image was rewritten to, containers before init and ephemeral containers. */
    readonly rewritten: readonly string[];
}

/** A workload as a message names it: the Pulumi type token and resource name. */
export interface WorkloadName {
    readonly type: string;
    readonly name: string;
}

interface IndexedPin {
    readonly name: string;
    readonly pin: ImagePin;
    readonly repository: string;
}

/** The pins by normalised repository name (`nginx` and `docker.io/library/nginx` are one). */
export function indexPins(pins: Readonly<Record<string, ImagePin>>): Map<string, IndexedPin> {
    const byName = new Map<string, IndexedPin>();
    for (const name of Object.keys(pins).sort()) {
        const pin = pins[name];
        const repository = parseReference(pin.repository).name;
        const other = byName.get(repository);
        if (other !== undefined) {
            throw new ReleaseRuleError(
                `images "${other.name}" and "${name}" pin the same repository ${repository}; each image of a set has its own`,
            );
        }
        byName.set(repository, { name, pin, repository });
    }
    return byName;
}

function defaultKeyLabel(image: string, key: string): string {
    return `image-release:images.${image}.${key}`;
}

function describeContainer(c: ContainerImage): string {
    const kind =
        c.field === "containers"
            ? "container"
            : c.field === "initContainers"
              ? "init container"
              : "ephemeral container";
    return `${kind} "${c.name}" image "${c.image}"`;
}

/** What is wrong with one image, or the digest reference it becomes; undefined: leave it as written. */
type Verdict = { problem: string } | { rewrite: IndexedPin } | { match: IndexedPin } | undefined;

function judge(
    c: ContainerImage,
    pins: Map<string, IndexedPin>,
    allow: ReadonlySet<string>,
    o: PinImagesOptions,
): Verdict {
    const strict = o.mode === "strict";
    const label = o.keyLabel ?? defaultKeyLabel;
    let ref;
    try {
        ref = parseReference(c.image);
    } catch (e) {
        return strict ? { problem: `${describeContainer(c)}: ${(e as Error).message}` } : undefined;
    }
    const pinned = pins.get(ref.name);
    if (pinned !== undefined) {
        if (ref.digest === undefined) return { rewrite: pinned };
        if (ref.digest === pinned.pin.digest) return { match: pinned };
        if (!strict) return undefined;
        return {
            problem: `${describeContainer(c)}: pinned to another digest than ${label(pinned.name, "digest")} (${pinned.pin.digest}); name the repository without a digest and the stack pins it`,
        };
    }
    if (!strict) return undefined;
    if (allow.has(ref.name)) {
        return ref.digest !== undefined
            ? undefined
            : {
                  problem: `${describeContainer(c)}: ${ref.name} is allowed, but only by digest; write it as ${ref.name}@sha256:<64 hex>`,
              };
    }
    const key = "image-release:images.<name>.repository";
    return {
        problem:
            ref.digest === undefined
                ? `${describeContainer(c)}: not pinned by digest, and ${ref.name} is not in the stack's images; pin it with ${key}: ${ref.name}, or allow it (pinWorkloads allow) and write it by digest`
                : `${describeContainer(c)}: ${ref.name} is not in the stack's images; pin it with ${key}: ${ref.name}, or allow it (pinWorkloads allow)`,
    };
}

function at(node: unknown, path: readonly string[]): unknown {
    for (const key of path) {
        node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
    return node;
}

/** A copy of `node` with `value` at `path`, copying only the objects on the way; the rest is shared. */
export function withValueAt(node: unknown, path: readonly (string | number)[], value: unknown): unknown {
    if (path.length === 0) return value;
    const [key, ...rest] = path;
    if (Array.isArray(node)) {
        const copy = [...(node as unknown[])];
        copy[key as number] = withValueAt(copy[key as number], rest, value);
        return copy;
    }
    const obj = typeof node === "object" && node !== null ? (node as Record<string, unknown>) : {};
    return { ...obj, [key]: withValueAt(obj[key as string], rest, value) };
}

/** Every container of the pod spec with a string image, and where it sits. */
function containersOf(
    kind: WorkloadKind,
    props: unknown,
): { c: ContainerImage; path: (string | number)[] }[] {
    const podSpec = at(props, kind.podSpecPath);
    const out: { c: ContainerImage; path: (string | number)[] }[] = [];
    for (const field of CONTAINER_FIELDS) {
        const list = at(podSpec, [field]);
        if (!Array.isArray(list)) continue;
        (list as unknown[]).forEach((entry, i) => {
            const image = at(entry, ["image"]);
            const name = at(entry, ["name"]);
            if (typeof image !== "string") return;
            const c = { field, name: typeof name === "string" ? name : "", image };
            out.push({ c, path: [...kind.podSpecPath, field, i, "image"] });
        });
    }
    return out;
}

/**
 * Rewrites each container, init container and ephemeral container image of one workload that names a
 * pinned repository (by tag, or bare) to `repository@digest`. In strict mode every other image must be
 * a digest of an allowed repository, and a pinned repository at another digest is refused, not
 * rewritten: one ReleaseRuleError names the workload and every problem of it. An image that is not a
 * string (unknown in a preview, or secret) is left for the policy pack, which sees the final value.
 */
export function pinImages(
    workload: WorkloadName,
    kind: WorkloadKind,
    props: unknown,
    pins: Readonly<Record<string, ImagePin>>,
    o: PinImagesOptions,
): PinnedImages {
    const index = indexPins(pins);
    const allow = new Set((o.allow ?? []).map((r) => parseReference(r).name));
    const problems: string[] = [];
    const matched = new Set<string>();
    const rewritten: { field: string; name: string }[] = [];
    let out = props;
    for (const { c, path } of containersOf(kind, props)) {
        const v = judge(c, index, allow, o);
        if (v === undefined) continue;
        if ("problem" in v) {
            problems.push(v.problem);
        } else if ("match" in v) {
            matched.add(v.match.name);
        } else {
            matched.add(v.rewrite.name);
            rewritten.push({ field: c.field, name: v.rewrite.name });
            out = withValueAt(out, path, `${v.rewrite.pin.repository}@${v.rewrite.pin.digest}`);
        }
    }
    if (problems.length > 0) {
        throw new ReleaseRuleError(
            `${workload.type} "${workload.name}": ${problems.length === 1 ? "an image" : `${problems.length} images`} the stack cannot deploy:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
        );
    }
    // The workload's annotations describe its main containers: those first, then init and ephemeral.
    const order = (f: string) => (f === "containers" ? 0 : 1);
    const names = [...rewritten].sort((a, b) => order(a.field) - order(b.field)).map((r) => r.name);
    return {
        props: rewritten.length > 0 ? out : props,
        matched: [...matched].sort(),
        rewritten: [...new Set(names)],
    };
}
