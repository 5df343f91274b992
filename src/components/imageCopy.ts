import * as pulumi from "@pulumi/pulumi";
import { gitTag, ReleaseRuleError, versionTag } from "../release";
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

/** Checks one tag rule, as the arg it is about; a rule error is that arg's problem. */
function tagRuleProblems(propertyPath: string, rule: () => unknown): ArgProblem[] {
    try {
        rule();
        return [];
    } catch (e) {
        if (!(e instanceof ReleaseRuleError)) throw e;
        return [{ propertyPath, reason: `cannot name the copy's tag: ${e.message}` }];
    }
}

/**
 * With a copy, `version` and `gitSha` name the tags it carries (`copiedTags`: X.Y.Z and git-<7>), so
 * each must make one. Missing ones are left to the required-arg check.
 */
export function copiedTagProblems(version: string | undefined, gitSha: string | undefined): ArgProblem[] {
    return [
        ...(version ? tagRuleProblems("version", () => versionTag(version)) : []),
        ...(gitSha ? tagRuleProblems("gitSha", () => gitTag(gitSha)) : []),
    ];
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
