import * as pulumi from "@pulumi/pulumi";
import { PodTemplateArgs } from "./podTemplate";
import { ArgProblem, isPlain } from "./validate";

/**
 * `f` of an Input: now when it is plain, once known when it is an Output. Only names, labels and
 * selectors are read, so the secrecy of the rest (an env value) does not reach the checked args.
 */
export function pick<T>(input: pulumi.Input<T> | undefined, f: (t: T) => unknown): unknown {
    if (input === undefined) return undefined;
    if (isPlain(input)) return f(input);
    return pulumi.unsecret(pulumi.output(input).apply((v) => pulumi.output(f(v as T))));
}

/** The container names of a list, each as given. */
function namesOf(list: unknown): unknown {
    return pick(list as pulumi.Input<unknown[]>, (l) =>
        l.map((c) => pick(c as pulumi.Input<{ name?: unknown }>, (x) => x.name)),
    );
}

/**
 * The part of the pod-template args the checks read: the main container's name, image and (when
 * `withArgs`: a Job's `command` arg sets them too) whether it sets args, the sidecar and init container
 * names, the restart policy and the pod labels. Nothing else, so an env value or args unknown in a
 * preview leave the checked args (and so the image) known.
 */
export function podView(a: PodTemplateArgs, withArgs = false): Record<string, unknown> {
    return {
        container: pick(a.container, (c) => ({
            name: c.name,
            image: (c as { image?: unknown }).image,
            ...(withArgs ? { hasArgs: pick(c.args, (x) => x !== undefined) ?? false } : {}),
        })),
        podSpec: pick(a.podSpec, (p) => ({
            containers: namesOf(p.containers),
            initContainers: namesOf(p.initContainers),
            restartPolicy: p.restartPolicy,
        })),
        labels: pick(a.podMetadata, (m) => m.labels),
    };
}

/** The keys of a spec arg that the component owns and that were set anyway, and its selector. */
export function specView(spec: unknown, owned: readonly string[]): unknown {
    return pick(spec as pulumi.Input<Record<string, unknown>>, (s) => ({
        owned: owned.filter((k) => s[k] !== undefined),
        selector: s.selector,
    }));
}

type View = Record<string, unknown>;

/** A bad value as an error quotes it: a string as is, anything else as JSON. */
export function shown(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

function plainView(v: unknown): View | undefined {
    return isPlain(v) && typeof v === "object" && v !== null ? (v as View) : undefined;
}

/** The main container's name: the user's, or the component's default. */
export function mainName(view: View, fallback: string): unknown {
    return plainView(view.container)?.name ?? fallback;
}

function imageProblems(view: View): ArgProblem[] {
    const image = plainView(view.container)?.image;
    if (image === undefined || !isPlain(image)) return [];
    const reason = `must be left unset: the pin sets the main container's image to repository@digest (got "${shown(image)}")`;
    return [{ propertyPath: "container.image", reason }];
}

/** Sidecar and init container names: each set, and none the main container's or another's. */
function nameProblems(view: View, fallback: string): ArgProblem[] {
    const main = mainName(view, fallback);
    const pod = plainView(view.podSpec);
    if (pod === undefined || !isPlain(main)) return [];
    const problems: ArgProblem[] = [];
    const seen = new Map<unknown, string>();
    for (const list of ["containers", "initContainers"]) {
        const names = pod[list];
        if (!Array.isArray(names)) continue;
        names.forEach((name: unknown, index) => {
            const propertyPath = `podSpec.${list}[${index}].name`;
            if (!isPlain(name)) return;
            if (name === undefined || name === "") {
                problems.push({ propertyPath, reason: "is required" });
            } else if (name === main) {
                const reason = `is the main container's name; give the ${list === "containers" ? "sidecar" : "init container"} another (got "${shown(name)}")`;
                problems.push({ propertyPath, reason });
            } else if (seen.has(name)) {
                problems.push({
                    propertyPath,
                    reason: `is also ${seen.get(name)}'s (got "${shown(name)}")`,
                });
            } else {
                seen.set(name, `podSpec.${list}[${index}]`);
            }
        });
    }
    return problems;
}

/** A pod label the component sets itself (the selector's) may be given only with the same value. */
function labelProblems(view: View, own: Record<string, string>): ArgProblem[] {
    const labels = plainView(view.labels);
    if (labels === undefined) return [];
    return Object.entries(own)
        .filter(([k, v]) => isPlain(labels[k]) && labels[k] !== undefined && labels[k] !== v)
        .map(([k, v]) => ({
            propertyPath: `podMetadata.labels.${k}`,
            reason: `must be "${v}", the label the component selects its pods by (got "${shown(labels[k])}")`,
        }));
}

/** Every problem with the pod-template args that are known now; the rest are checked once known. */
export function podProblems(
    view: View,
    fallbackName: string,
    ownLabels: Record<string, string>,
): ArgProblem[] {
    return [...imageProblems(view), ...nameProblems(view, fallbackName), ...labelProblems(view, ownLabels)];
}

/** Each owned key set in a spec arg (`deploymentSpec.replicas`), with what to set instead. */
export function ownedKeyProblems(
    path: string,
    spec: unknown,
    insteadOf: Record<string, string>,
): ArgProblem[] {
    const owned = plainView(spec)?.owned;
    if (!Array.isArray(owned)) return [];
    return owned.map((k: string) => ({
        propertyPath: `${path}.${k}`,
        reason: `is the component's; set ${insteadOf[k]} instead`,
    }));
}
