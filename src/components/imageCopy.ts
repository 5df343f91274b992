import * as pulumi from "@pulumi/pulumi";
import { isImmutableTag } from "../release";
import { RegistryCopyResource } from "../providers";
import type { RegistryCredentials } from "./multiArchImage";
import { ArgProblem, repositoryProblems } from "./validate";

/** `sourceRepository` must name another repository than the one it is copied into. */
export function sourceRepositoryProblems(
    sourceRepository: string | undefined,
    repository: string | undefined,
): ArgProblem[] {
    if (sourceRepository === undefined) return [];
    const problems = repositoryProblems("sourceRepository", sourceRepository);
    if (problems.length === 0 && sourceRepository === repository) {
        return [
            {
                propertyPath: "sourceRepository",
                reason: `is the repository itself; leave it unset when the digest is already there (got "${sourceRepository}")`,
            },
        ];
    }
    return problems;
}

/**
 * The tags a copy carries into the target: only the ones that name this one build forever (X.Y.Z,
 * git-<sha>). Floating tags there belong to the target's own channel.
 */
export function copiedTags(version: string, gitSha: string): string[] {
    return [version, `git-${gitSha}`].filter((t) => isImmutableTag(t));
}

/**
 * The child that copies `from@digest` into `to` before the component's own resources use it, or
 * undefined when the component has no `sourceRepository` (the digest is already in `to`). `pulumi up`
 * runs it; a preview plans it (and, for a digest the target lacks, shows it as a change).
 */
export function imageCopy(
    name: string,
    sourceRepository: pulumi.Input<string> | undefined,
    checked: pulumi.Output<{ repository: string; digest: string; sourceRepository?: string }>,
    extra: {
        tags: pulumi.Input<string[]>;
        credentials?: pulumi.Input<Record<string, RegistryCredentials>>;
    },
    parent: pulumi.Resource,
    dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource>,
): RegistryCopyResource | undefined {
    if (sourceRepository === undefined) return undefined;
    return new RegistryCopyResource(
        `${name}-copy`,
        {
            from: checked.apply((c) => c.sourceRepository as string),
            to: checked.repository,
            digest: checked.digest,
            tags: extra.tags,
            credentials: extra.credentials ? pulumi.secret(extra.credentials) : undefined,
        },
        { parent, dependsOn },
    );
}
