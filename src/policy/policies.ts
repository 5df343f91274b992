import { ResourceValidationPolicy } from "@pulumi/policy";
import { PolicyName, resourceViolations } from "./validators";

function policyFor(name: PolicyName, description: string): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            for (const v of resourceViolations(args, name)) reportViolation(v.message);
        },
    };
}

/** The pack's policies; kept apart from `new PolicyPack`, which starts a gRPC server on construction. */
export const policies: ResourceValidationPolicy[] = [
    policyFor("no-latest-tag", "No :latest or untagged image in any Deployment, Job, Pod or CronJob."),
    policyFor("digest-pins-required", "staging and prod workloads must use @sha256: references."),
    policyFor("oci-labels-present", "MultiArchImage carries the source, revision and version OCI labels."),
    policyFor(
        "signed-digest-required",
        "prod Deployments run a digest whose signature a trusted key verified.",
    ),
];
