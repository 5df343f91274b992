import type { RegistryClient } from "./client";
import type { ImageDescription } from "./describe";
import { BlobNotFoundError, ManifestNotFoundError } from "./errors";

/**
 * Verifies the first of `refs` (the same digest in several repositories) whose repository holds it:
 * one that lacks it (its manifest, or a blob the check reads: a half-collected image) is passed over,
 * any other refusal (a missing platform, a 401) stops at once. When none holds it, the last one's
 * not-found is thrown. Used where a pin may still live only where it came
 * from (a promotion's source, a repository the stack used to pull from).
 */
export async function verifyFirstHolder(
    client: Pick<RegistryClient, "verify">,
    refs: string[],
    platforms: string[],
): Promise<{ index: number; description: ImageDescription }> {
    for (const [index, ref] of refs.entries()) {
        try {
            return { index, description: await client.verify(ref, platforms) };
        } catch (e) {
            const lacks = e instanceof ManifestNotFoundError || e instanceof BlobNotFoundError;
            if (!lacks || index === refs.length - 1) throw e;
        }
    }
    throw new Error("verifyFirstHolder: no reference given");
}
