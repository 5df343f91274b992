import type { PolicyConfigSchema } from "@pulumi/policy";
import { workloadImages, workloadOf } from "../release";

/** Stacks whose workloads must run a digest that a trusted key signed. */
export const SIGNED_STACKS = ["prod"];
export const SIGNED_BY_ANNOTATION = "image-release/signed-by";

/** A key id as `image-release verify` prints it: sha256 of the public key's SPKI DER, 16 hex. */
const KEY_ID = /^sha256:[0-9a-f]{16}$/;

/**
 * signed-digest-required's own config, from `pulumi preview --policy-pack-config <file>`: a policy pack
 * sees no stack config, and the stack config is exactly what it must not take on trust (it names the
 * keys the program verifies with). Unvalidated here: the engine checks it against CONFIG_SCHEMA, and
 * trustedKeysOf checks it again for the tests and any caller that bypasses the engine.
 */
export interface SignedDigestConfig {
    trustedKeys?: unknown;
}

/** What `--policy-pack-config` may hold for signed-digest-required; the Pulumi CLI validates it. */
export const SIGNED_DIGEST_CONFIG_SCHEMA: PolicyConfigSchema = {
    properties: {
        trustedKeys: {
            type: "array",
            items: { type: "string", pattern: KEY_ID.source },
            description:
                "Key ids (sha256:<16 hex>, as `image-release verify` prints them) whose signatures prod may run.",
        },
    },
};

const CONFIG = "policy pack config signed-digest-required.trustedKeys";

/** The trusted key ids, or the one problem with the config that names the bad value. */
function trustedKeysOf(config: SignedDigestConfig): { keys: string[] } | { problem: string } {
    const keys = config.trustedKeys ?? [];
    if (!Array.isArray(keys)) {
        return {
            problem: `${CONFIG}: expected a list of key ids (sha256:<16 hex>), got ${JSON.stringify(keys)}`,
        };
    }
    const bad = (keys as unknown[]).find((k) => typeof k !== "string" || !KEY_ID.test(k));
    if (bad !== undefined) {
        return {
            problem: `${CONFIG}: ${JSON.stringify(bad)} is not a key id (sha256:<16 hex>, as \`image-release verify\` prints it)`,
        };
    }
    return { keys: keys as string[] };
}

/**
 * `signed-digest-required`: a workload in a signed stack carries the trusted key that verified its
 * digest's signature (`image-release/signed-by`), which the program sets only after that check passed
 * in the registry, and the key is one the pack's own config trusts. Every workload kind is judged; a
 * Patch only when it sets an image. The stack is checked first and a full workload's spec is never
 * read: a dev preview's annotations, and a preview's images, may be unknown, and must not be touched.
 */
export function unsignedWorkloadViolation(
    stack: string,
    r: { type: string; props: Record<string, unknown> },
    config: SignedDigestConfig,
): string | undefined {
    const workload = workloadOf(r.type);
    if (workload === undefined || !SIGNED_STACKS.includes(stack)) return undefined;
    if (workload.patch && workloadImages(workload.kind, r.props).length === 0) return undefined;
    const trusted = trustedKeysOf(config);
    if ("problem" in trusted) return trusted.problem;
    const prefix = `stack ${stack} requires a digest signed by a trusted key`;
    if (trusted.keys.length === 0) {
        return `${prefix}, and the policy pack trusts none: run it with --policy-pack-config <file> holding {"signed-digest-required":{"trustedKeys":["sha256:<16 hex>"]}}, the ids of the release's public keys as \`image-release verify\` prints them`;
    }
    const kind = `${workload.kind.kind}${workload.patch ? "Patch" : ""}`;
    const metadata = r.props.metadata as Record<string, unknown> | undefined;
    const annotations = metadata?.annotations;
    const signedBy =
        typeof annotations === "object" && annotations !== null
            ? (annotations as Record<string, unknown>)[SIGNED_BY_ANNOTATION]
            : undefined;
    if (signedBy === undefined) {
        return `${prefix}: the ${kind} has no ${SIGNED_BY_ANNOTATION} annotation (set image-release:signingKey; the program verifies the signature before it deploys)`;
    }
    if (typeof signedBy === "string" && trusted.keys.includes(signedBy)) return undefined;
    return `${prefix}: the ${kind}'s ${SIGNED_BY_ANNOTATION} annotation names key ${JSON.stringify(signedBy)}, which is not one of the policy pack's trusted keys (${trusted.keys.join(", ")})`;
}
