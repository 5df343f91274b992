import { BlobNotFoundError, ManifestNotFoundError } from "../registry";
import { sameRepository } from "../release";
import { HistoryImage, StackImageConfig } from "../stackconfig";
import { CliDeps } from "./context";
import { Refusal } from "./refusal";
import { checkPin, PinRefusal, VerifiedPin } from "./pinCheck";

function isGone(e: unknown): boolean {
    return e instanceof ManifestNotFoundError || e instanceof BlobNotFoundError;
}

/**
 * The pin check of `stack`'s image (its repository and platforms) for an earlier digest, which may live
 * besides the image's repository in the repository that pin was copied from, or in the image's own
 * repository of that commit (before a move to another registry). A digest none of them holds any more
 * is refused as such.
 */
export async function checkEarlierDigest(
    root: string,
    stack: StackImageConfig,
    image: { repository: string; platforms: string[] },
    pick: HistoryImage & { digest: string },
    deps: CliDeps,
): Promise<VerifiedPin> {
    const digest = pick.digest;
    const elsewhere = [pick.sourceRepository, pick.repository].filter(
        (r): r is string => r !== undefined && !sameRepository(r, image.repository),
    );
    const holders = [image.repository, ...new Set(elsewhere)];
    const signature = { policy: stack, root };
    try {
        return await checkPin({ digest, repositories: holders, platforms: image.platforms, signature }, deps);
    } catch (e) {
        // Its index, or a manifest's config blob, collected: either way the bytes to roll back to are gone.
        const gone = e instanceof PinRefusal && e.step === "registry" && isGone(e.reason);
        if (gone) {
            throw new Refusal(
                `digest ${digest} is no longer in ${holders.join(" or ")} (garbage-collected?); refusing to roll back to it`,
            );
        }
        throw e;
    }
}
