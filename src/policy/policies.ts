import { ResourceValidationPolicy } from "@pulumi/policy";
import { SIGNED_DIGEST_CONFIG_SCHEMA, SignedDigestConfig } from "./signature";
import { PolicyName, resourceViolations } from "./validators";

function policyFor(
    name: PolicyName,
    description: string,
    configSchema?: ResourceValidationPolicy["configSchema"],
): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        ...(configSchema ? { configSchema } : {}),
        validateResource: (args, reportViolation) => {
            const config = configSchema ? args.getConfig<SignedDigestConfig>() : {};
            for (const v of resourceViolations(args, name, config)) reportViolation(v.message);
        },
    };
}

const WORKLOADS = "any workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod)";

/** The pack's policies; kept apart from `new PolicyPack`, which starts a gRPC server on construction. */
export const policies: ResourceValidationPolicy[] = [
    policyFor("no-latest-tag", `No :latest or untagged image in ${WORKLOADS}.`),
    policyFor("digest-pins-required", "staging and prod workloads must use @sha256: references."),
    policyFor("oci-labels-present", "MultiArchImage carries the source, revision and version OCI labels."),
    policyFor(
        "signed-digest-required",
        "prod workloads run a digest whose signature a key the pack trusts verified.",
        SIGNED_DIGEST_CONFIG_SCHEMA,
    ),
];
