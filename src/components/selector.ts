import { ArgProblem, isKnown } from "./validate";

interface Requirement {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
}

/** A plain Kubernetes label selector. */
export interface PlainSelector {
    readonly matchLabels?: Record<string, string>;
    readonly matchExpressions?: readonly Requirement[];
}

function meets(r: Requirement, labels: Record<string, string>): boolean {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const listed = has && (r.values ?? []).includes(labels[r.key]);
    switch (r.operator) {
        case "In":
            return listed;
        case "NotIn":
            return !listed;
        case "Exists":
            return has;
        case "DoesNotExist":
            return !has;
        default:
            return false;
    }
}

/**
 * Whether `selector` selects pods labelled `labels`, as the API server decides it; an empty selector
 * selects nothing here, because apps/v1 refuses one.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 */
export function selects(selector: PlainSelector, labels: Record<string, string>): boolean {
    const pairs = Object.entries(selector.matchLabels ?? {});
    const expressions = selector.matchExpressions ?? [];
    if (pairs.length === 0 && expressions.length === 0) return false;
    return pairs.every(([k, v]) => labels[k] === v) && expressions.every((r) => meets(r, labels));
}

/**
 * A given selector must select the pod template's labels (the user's and the component's own), or the
 * API server refuses the Deployment only at apply. Checked once both are known.
 */
export function selectorProblems(
    propertyPath: string,
    selector: unknown,
    userLabels: unknown,
    own: Record<string, string>,
): ArgProblem[] {
    if (selector === undefined || !isKnown(selector) || !isKnown(userLabels)) return [];
    const labels = { ...(userLabels as Record<string, string> | undefined), ...own };
    if (selects(selector as PlainSelector, labels)) return [];
    return [
        {
            propertyPath,
            reason: `does not select the pod template's labels ${JSON.stringify(labels)} (got ${JSON.stringify(selector)})`,
        },
    ];
}
