import { ResourceValidationPolicy } from "@pulumi/policy";
import { RegistryClient, VERIFY_CLIENT_OPTIONS } from "../registry";
import {
    REJECTED_DIGEST_CONFIG_SCHEMA,
    RejectedDigestConfig,
    RejectionCache,
    rejectedWorkloadViolations,
} from "./rejection";
import { SIGNED_DIGEST_CONFIG_SCHEMA, SignedDigestConfig } from "./signature";
import { PolicyName, resourceViolations, stackOfUrn } from "./validators";

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

/**
 * rejected-digest-refused reads each pinned digest's rejections from its registry, once per pack run
 * (the pack's process lives for one preview or update).
 */
function rejectedDigestPolicy(): ResourceValidationPolicy {
    const cache: RejectionCache = new Map();
    let client: RegistryClient | undefined;
    return {
        name: "rejected-digest-refused",
        description: "No workload runs a digest a trusted verifier key rejected.",
        enforcementLevel: "mandatory",
        configSchema: REJECTED_DIGEST_CONFIG_SCHEMA,
        validateResource: async (args, reportViolation) => {
            client ??= new RegistryClient(VERIFY_CLIENT_OPTIONS);
            const violations = await rejectedWorkloadViolations(
                stackOfUrn(args.urn),
                args,
                args.getConfig<RejectedDigestConfig>(),
                { client, cache },
            );
            for (const v of violations) reportViolation(v);
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
    rejectedDigestPolicy(),
];
