import * as pulumi from "@pulumi/pulumi";
import { isDigest, isPlatformName, parseReference, redactCredentials } from "../release";
import { rfc1123LabelProblem } from "../stackconfig";

/** A problem with one component arg; `reason` quotes the bad value. */
export type ArgProblem = pulumi.InputPropertyErrorDetails;

/** Checks a repository that must carry neither tag nor digest. */
export function repositoryProblems(propertyPath: string, repository: string | undefined): ArgProblem[] {
    if (repository === undefined || repository === "") {
        return [{ propertyPath, reason: "is required" }];
    }
    // A `user:password@host/...` typo must never be quoted back (logs, CI output, state).
    const shown = redactCredentials(repository);
    if (repository.includes("@")) {
        return [{ propertyPath, reason: `must not contain a digest (got "${shown}")` }];
    }
    const lastSegment = repository.slice(repository.lastIndexOf("/") + 1);
    if (lastSegment.includes(":")) {
        return [{ propertyPath, reason: `must not contain a tag (got "${shown}")` }];
    }
    try {
        parseReference(repository);
    } catch (e) {
        // The same grammar the registry client and the stack config use, so a name accepted here is
        // never refused later inside an apply.
        const why = (e as Error).message.replace(/^invalid reference "[^"]*": /, "");
        return [{ propertyPath, reason: `is not a valid repository name: ${why} (got "${shown}")` }];
    }
    return [];
}

/** Digest pins: a tag is refused, a short or non-sha256 digest too, each with its own message. */
export function digestProblems(propertyPath: string, digest: string | undefined): ArgProblem[] {
    if (digest === undefined || digest === "") {
        return [{ propertyPath, reason: "is required (a sha256:<64 hex> digest)" }];
    }
    if (isDigest(digest)) {
        return [];
    }
    if (!digest.startsWith("sha256:")) {
        return [{ propertyPath, reason: `must be a sha256 digest, not a tag (got "${digest}")` }];
    }
    const hex = digest.slice("sha256:".length);
    if (/^[0-9a-f]+$/.test(hex) && hex.length < 64) {
        return [
            {
                propertyPath,
                reason: `is a short digest (${hex.length} of 64 hex characters) (got "${digest}")`,
            },
        ];
    }
    return [{ propertyPath, reason: `must be sha256:<64 lowercase hex> (got "${digest}")` }];
}

export function requiredStringProblems(propertyPath: string, value: string | undefined): ArgProblem[] {
    return value === undefined || value === "" ? [{ propertyPath, reason: "is required" }] : [];
}

export function platformProblems(
    propertyPath: string,
    platforms: readonly string[] | undefined,
): ArgProblem[] {
    if (platforms === undefined) {
        return [];
    }
    if (platforms.length === 0) {
        return [{ propertyPath, reason: "must list at least one platform (got [])" }];
    }
    return platforms
        .filter((p) => !isPlatformName(p))
        .map((p) => ({ propertyPath, reason: `is not an os/arch platform (got "${p}")` }));
}

/** A count such as replicas or a retry limit: absent means the default, otherwise an integer >= 0. */
export function nonNegativeIntegerProblems(propertyPath: string, value: number | undefined): ArgProblem[] {
    if (value === undefined || (Number.isInteger(value) && value >= 0)) {
        return [];
    }
    return [{ propertyPath, reason: `must be a non-negative integer (got "${value}")` }];
}

/** A TCP port; absent means the default. */
export function portProblems(propertyPath: string, value: number | undefined): ArgProblem[] {
    if (value === undefined || (Number.isInteger(value) && value >= 1 && value <= 65535)) {
        return [];
    }
    return [{ propertyPath, reason: `must be an integer from 1 to 65535 (got "${value}")` }];
}

/**
 * A namespace name is an RFC 1123 label (the API server refuses anything else, but only at apply,
 * after other resources may already exist); absent means the default.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names
 */
export function namespaceProblems(propertyPath: string, value: string | undefined): ArgProblem[] {
    if (value === undefined) {
        return [];
    }
    const problem = typeof value === "string" ? rfc1123LabelProblem(value) : "must be a string";
    return problem === undefined ? [] : [{ propertyPath, reason: `${problem} (got "${String(value)}")` }];
}

/** Throws one InputPropertiesError naming every problem, or returns when there are none. */
export function throwIfProblems(component: string, name: string, problems: ArgProblem[]): void {
    if (problems.length === 0) {
        return;
    }
    const lines = problems.map((p) => `${p.propertyPath}: ${p.reason}`);
    throw new pulumi.InputPropertiesError({
        message: `invalid arguments for ${component} "${name}":\n  ${lines.join("\n  ")}`,
        errors: problems,
    });
}

/** Pinning needs the plain values, so validation only runs on inputs that are already known. */
export function isPlain<T>(v: pulumi.Input<T> | undefined): v is T {
    return !pulumi.Output.isInstance(v) && !(v instanceof Promise);
}

/** Whether a value holds no Output or Promise anywhere, so a check can read it now. */
export function isKnown(v: unknown): boolean {
    if (!isPlain(v)) return false;
    if (Array.isArray(v)) return v.every(isKnown);
    if (typeof v === "object" && v !== null) return Object.values(v).every(isKnown);
    return true;
}

/**
 * Checks `picked` now, throwing for problems with the plain values, and returns them as one Output
 * that runs the same check (same single error) once every Output among them is known, before anything
 * derived from them reaches the engine. Keys are picked explicitly: passing all args would make
 * everything secret whenever credentials are, and would try to unwrap non-Input args such as a client.
 */
export function checkedArgs<P extends Record<string, pulumi.Input<unknown>>>(
    component: string,
    name: string,
    picked: P,
    problems: (args: P | pulumi.Unwrap<P>) => ArgProblem[],
): pulumi.Output<pulumi.Unwrap<P>> {
    throwIfProblems(component, name, problems(picked));
    return pulumi.output(picked).apply((resolved) => {
        throwIfProblems(component, name, problems(resolved));
        return resolved;
    });
}
