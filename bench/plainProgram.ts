/** A resource as `pulumi stack export` records it: the fields the hand-written program is made from. */
export interface StateResource {
    urn: string;
    type: string;
    inputs?: Record<string, unknown>;
    dependencies?: string[];
}

/** `kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy` → `k8s.admissionregistration.v1.ValidatingAdmissionPolicy`. */
export function k8sClass(type: string): string {
    const m = /^kubernetes:([a-z0-9.-]+)\/([a-z0-9]+):([A-Za-z0-9]+)$/.exec(type);
    if (!m) throw new Error(`not a Kubernetes resource type: "${type}"`);
    const group = m[1] === "core" ? "core" : m[1].replace(/\.k8s\.io$/, "").split(".")[0];
    return `k8s.${group}.${m[2]}.${m[3]}`;
}

const nameOf = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

/**
 * The program a team would write by hand with `@pulumi/kubernetes` alone for the Kubernetes resources of
 * a stack's state: each one with the inputs the state records (engine-internal `__` keys dropped) as
 * literals, the same order and dependencies, and `namespace` (in names, selectors and the namespace
 * itself) swapped for `into`, so it can run beside the stack it copies.
 */
export function handWrittenProgram(
    resources: StateResource[],
    namespace: string,
    into: string,
): { source: string; types: string[] } {
    // The provider (`pulumi:providers:kubernetes`) is the default one, in both programs.
    const kept = resources.filter((r) => r.type.startsWith("kubernetes:"));
    if (kept.length === 0) throw new Error("the stack's state has no Kubernetes resources to write by hand");
    const vars = new Map(kept.map((r, i) => [r.urn, `r${i}`]));
    const lines = ['import * as k8s from "@pulumi/kubernetes";', ""];
    for (const r of kept) {
        const inputs = Object.fromEntries(
            Object.entries(r.inputs ?? {}).filter(([k]) => !k.startsWith("__")),
        );
        const literal = JSON.stringify(inputs, null, 4).split(namespace).join(into);
        const deps = (r.dependencies ?? []).map((d) => vars.get(d)).filter((v) => v !== undefined);
        const opts = deps.length > 0 ? `, { dependsOn: [${deps.join(", ")}] }` : "";
        lines.push(
            `const ${vars.get(r.urn)} = new ${k8sClass(r.type)}("${nameOf(r.urn)}", ${literal}${opts});`,
        );
    }
    lines.push(
        `export const names = [${kept.map((r) => `${vars.get(r.urn)}.metadata.name`).join(", ")}];`,
        "",
    );
    return { source: lines.join("\n"), types: kept.map((r) => r.type.split(":").pop() as string) };
}
