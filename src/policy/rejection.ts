import type { PolicyConfigSchema } from "@pulumi/policy";
import {
    parseReference,
    redactCredentials,
    rejectionSummary,
    standingRejection,
    workloadImages,
    workloadOf,
} from "../release";
import type { RegistryClient } from "../registry";
import { parsePublicKey, readRejections, TrustedKey } from "../signing";
import { VERIFIED_BY_DEFAULT } from "../stackconfig";

/**
 * rejected-digest-refused's own config, from `--policy-pack-config <file>`: the verifier public keys
 * (PEM text) whose signed rejections the pack honours. A policy pack sees no stack config, and the stack
 * config is what it must not take on trust; a pack also runs away from the project, so keys are given
 * as their text, not as paths. Checked here again for callers that bypass the engine's schema check.
 */
export interface RejectedDigestConfig {
    verifierKeys?: unknown;
}

const PEM = "^-----BEGIN PUBLIC KEY-----";

/** What `--policy-pack-config` may hold for rejected-digest-refused; the Pulumi CLI validates it. */
export const REJECTED_DIGEST_CONFIG_SCHEMA: PolicyConfigSchema = {
    properties: {
        verifierKeys: {
            type: "array",
            items: { type: "string", pattern: PEM },
            description:
                'Verifier public keys (PEM text, e.g. `jq -n --rawfile k verifier.pub \'{"rejected-digest-refused":{"verifierKeys":[$k]}}\'`) whose signed rejections the pack refuses.',
        },
    },
};

const CONFIG = "policy pack config rejected-digest-refused.verifierKeys";

/** The trusted verifier keys, or the one problem with the config that names the bad value. */
export function verifierKeysOf(config: RejectedDigestConfig): { keys: TrustedKey[] } | { problem: string } {
    const list = config.verifierKeys ?? [];
    if (!Array.isArray(list)) {
        return { problem: `${CONFIG}: expected a list of PEM public keys, got ${JSON.stringify(list)}` };
    }
    const keys: TrustedKey[] = [];
    for (const [i, pem] of (list as unknown[]).entries()) {
        if (typeof pem !== "string" || !new RegExp(PEM).test(pem)) {
            return {
                problem: `${CONFIG}[${i}]: ${JSON.stringify(pem).slice(0, 60)} is not a PEM public key (-----BEGIN PUBLIC KEY-----)`,
            };
        }
        try {
            keys.push(parsePublicKey(pem, `${CONFIG}[${i}]`));
        } catch (e) {
            return { problem: (e as Error).message };
        }
    }
    return { keys };
}

/** An image the reference rules accept; another one is digest-pins-required's to refuse. */
function isReference(image: string): boolean {
    try {
        parseReference(image);
        return true;
    } catch {
        return false;
    }
}

/** One registry read per digest for the whole run: every workload that runs it shares the answer. */
export type RejectionCache = Map<string, Promise<string | undefined>>;

/** The standing rejection of `repository@digest` as one line, or undefined; a read error as a line too. */
function rejectionOf(
    client: RegistryClient,
    keys: TrustedKey[],
    repository: string,
    digest: string,
    cache: RejectionCache,
): Promise<string | undefined> {
    const at = `${repository}@${digest}`;
    let answer = cache.get(at);
    if (answer === undefined) {
        answer = readRejections(client, repository, digest, keys).then(
            (statements) => {
                const standing = standingRejection(statements);
                return standing === undefined ? undefined : rejectionSummary(standing);
            },
            (e: Error) =>
                `cannot read the rejections of ${redactCredentials(at)} (${e.message}); a digest whose rejections can't be read is not deployed`,
        );
        cache.set(at, answer);
    }
    return answer;
}

/**
 * `rejected-digest-refused`: no workload runs a digest that a verifier key the pack trusts rejected (and
 * did not lift since), read from the digest's own `.att` in its registry, as `promote` and the preview
 * read it. A stack that requires verification by default (prod) needs the pack to trust a key; any other
 * stack is judged once the pack's config names keys. Images that are not digests are left to
 * digest-pins-required. A registry that can't be read refuses: the pack fails closed.
 */
export async function rejectedWorkloadViolations(
    stack: string,
    r: { type: string; props: Record<string, unknown> },
    config: RejectedDigestConfig,
    deps: { client: RegistryClient; cache: RejectionCache },
): Promise<string[]> {
    const workload = workloadOf(r.type);
    if (workload === undefined) return [];
    const pinned = workloadImages(workload.kind, r.props)
        .map((c) => c.image)
        .filter((image) => /@sha256:[0-9a-f]{64}$/.test(image) && isReference(image));
    if (pinned.length === 0) return [];
    const trusted = verifierKeysOf(config);
    if ("problem" in trusted) return [trusted.problem];
    if (trusted.keys.length === 0) {
        if (!VERIFIED_BY_DEFAULT.includes(stack)) return [];
        return [
            `stack ${stack} refuses rejected digests, and the policy pack trusts no verifier key: run it with --policy-pack-config <file> holding {"rejected-digest-refused":{"verifierKeys":["<PEM>"]}}, the verifier public keys the stack's image-release:verifierKeys names`,
        ];
    }
    const kind = `${workload.kind.kind}${workload.patch ? "Patch" : ""}`;
    const out: string[] = [];
    for (const image of [...new Set(pinned)]) {
        const ref = parseReference(image);
        const rejected = await rejectionOf(
            deps.client,
            trusted.keys,
            ref.name,
            ref.digest as string,
            deps.cache,
        );
        if (rejected !== undefined) out.push(`the ${kind} runs ${redactCredentials(image)}: ${rejected}`);
    }
    return out;
}
