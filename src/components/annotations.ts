/** Release metadata that makes `kubectl rollout history` and `kubectl describe` readable. */
export interface ReleaseMetadata {
    readonly version: string;
    readonly digest: string;
    readonly gitSha: string;
    readonly promotedFrom?: string;
    /** The trusted key that verified the digest's signature (`sha256:<16 hex>`), when one was required. */
    readonly signedBy?: string;
}

export const ANNOTATION_CHANGE_CAUSE = "kubernetes.io/change-cause";
export const ANNOTATION_VERSION = "image-release/version";
export const ANNOTATION_DIGEST = "image-release/digest";
export const ANNOTATION_GIT_SHA = "image-release/git-sha";
export const ANNOTATION_DATASET = "image-release/dataset-version";
export const ANNOTATION_SIGNED_BY = "image-release/signed-by";

/** `sha256:` plus the first 12 hex characters, the length `docker images` shows. */
export function shortDigest(digest: string): string {
    const [algo, hex] = digest.split(":");
    return hex === undefined ? digest : `${algo}:${hex.slice(0, 12)}`;
}

/** e.g. `image-release 1.4.2 sha256:abcdef123456 (promoted from staging)`. */
export function changeCause(m: ReleaseMetadata): string {
    const origin = m.promotedFrom ? ` (promoted from ${m.promotedFrom})` : "";
    return `image-release ${m.version} ${shortDigest(m.digest)}${origin}`;
}

/** Annotations for the Deployment object; change-cause lives here because rollout history reads it. */
export function deploymentAnnotations(m: ReleaseMetadata): Record<string, string> {
    return {
        [ANNOTATION_CHANGE_CAUSE]: changeCause(m),
        ...podAnnotations(m),
        ...(m.signedBy ? { [ANNOTATION_SIGNED_BY]: m.signedBy } : {}),
    };
}

/**
 * Annotations for the pod template. They change with every release, which is what forces a new
 * ReplicaSet (and so a rollout-history entry) even when only the metadata moved.
 */
export function podAnnotations(m: ReleaseMetadata): Record<string, string> {
    return {
        [ANNOTATION_VERSION]: m.version,
        [ANNOTATION_DIGEST]: m.digest,
        [ANNOTATION_GIT_SHA]: m.gitSha,
    };
}
