/** Base class so callers can catch every registry failure in one place. */
export class RegistryError extends Error {
    constructor(message: string) {
        super(message);
        this.name = new.target.name;
    }
}

export class RegistryAuthError extends RegistryError {
    constructor(
        public readonly registry: string,
        public readonly scope: string,
        public readonly status: number,
    ) {
        super(
            `authentication failed for ${registry} (scope "${scope}"): ${status} ${status === 403 ? "Forbidden" : "Unauthorized"}`,
        );
    }
}

export class ManifestNotFoundError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly reference: string,
    ) {
        super(
            reference.startsWith("sha256:")
                ? `digest ${reference} not found in repo ${repository}`
                : `tag ${reference} not found in repo ${repository}`,
        );
    }
}

export class MissingPlatformError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly digest: string,
        public readonly missing: string[],
        public readonly present: string[],
    ) {
        super(
            `${repository}@${digest} lacks required platform(s) ${missing.join(", ")} (has ${present.join(", ") || "none"})`,
        );
    }
}

export class ImmutableTagError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly tag: string,
        public readonly oldDigest: string,
        public readonly newDigest: string,
        /** Replaces "refusing to move it to <newDigest>" when the refusal comes before the build. */
        reason?: string,
    ) {
        super(
            `tag ${tag} in ${repository} already points at ${oldDigest}; ${reason ?? `refusing to move it to ${newDigest}`} (immutable tag; use force to override)`,
        );
    }
}

export class RegistryUnavailableError extends RegistryError {
    constructor(
        public readonly registry: string,
        public readonly attempts: number,
        public readonly causeText: string,
    ) {
        super(`registry ${registry} unreachable after ${attempts} attempts: ${causeText}`);
    }
}

export class MalformedManifestError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly reference: string,
        public readonly detail: string,
    ) {
        super(`manifest ${reference} in ${repository} is not valid JSON: ${detail}`);
    }
}

/** The registry answered with something the protocol does not allow (bad digest header, 4xx on push...). */
export class RegistryProtocolError extends RegistryError {}

/** applyTags failed after writing some tags; names exactly which were applied. */
export class PartialTagError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly applied: string[],
        public readonly notApplied: string[],
        public readonly restored: string[],
        public readonly causeError: Error,
    ) {
        super(
            `applying tags to ${repository} failed: ${causeError.message}; applied: ${applied.join(", ") || "none"}; not applied: ${notApplied.join(", ") || "none"}; restored to previous digest: ${restored.join(", ") || "none"}`,
        );
    }
}
