import type { RegistryClient } from "../registry";
import { redactCredentials } from "../release";
import { SigningError } from "./errors";
import { readPublicKeys } from "./keys";
import { VerifiedSignature, verifySignature } from "./verify";

/** What a stack says about signatures (image-release:requireSignature, image-release:signingKey). */
export interface SignaturePolicy {
    stack: string;
    requireSignature?: true;
    signingKeys?: string[];
}

/**
 * The stack's signature rule for one digest: undefined when the stack does not require signatures,
 * else the signature that a trusted key made, or a refusal that names the digest and the key(s).
 * Key paths are relative to `root` (the project, where the stack files live).
 */
export async function requiredSignature(
    client: RegistryClient,
    policy: SignaturePolicy,
    root: string,
    repository: string,
    digest: string,
): Promise<VerifiedSignature | undefined> {
    if (policy.requireSignature !== true) return undefined;
    const keys = policy.signingKeys ?? [];
    if (keys.length === 0) {
        throw new SigningError(
            `stack "${policy.stack}" requires signed digests (image-release:requireSignature, on by default for prod) but names no trusted key: set image-release:signingKey to the public key(s), e.g. cosign.pub from \`cosign generate-key-pair\`, or set image-release:requireSignature: "false"; refusing ${redactCredentials(repository)}@${digest}`,
        );
    }
    const trusted = readPublicKeys(keys, root);
    try {
        return await verifySignature(client, repository, digest, trusted);
    } catch (e) {
        if (e instanceof SigningError) {
            throw new SigningError(`stack "${policy.stack}" requires a signed digest: ${e.message}`);
        }
        throw e;
    }
}
