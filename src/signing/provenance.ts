/** What a SLSA v1 provenance of one release records. */
export interface ProvenanceInput {
    /** The git repository of the source (`org.opencontainers.image.source`). */
    source: string;
    gitSha: string;
    /** The release version: the builder passes it, with the commit, to the build as VERSION and GIT_SHA. */
    version: string;
    platforms: string[];
    buildArgs: Record<string, string>;
    sourceDateEpoch: number;
    /** The Dockerfile, relative to the repository root. */
    dockerfile?: string;
    /** image-release's own version: the builder. */
    builderVersion: string;
    /**
     * The build key (src/builder's buildKey: context, Dockerfile, build args, platforms, labels, layer
     * format): the registry's record of this build (`buildkey-<key>`) is trusted only where the signed
     * provenance names the same key.
     */
    buildKey?: string;
}

export const BUILD_TYPE = "https://github.com/pulumi-image-release/build/v1";

/**
 * The SLSA v1 provenance predicate (https://slsa.dev/spec/v1.0/provenance): no wall-clock time, so the
 * same commit gives the same document; the build's only clock is SOURCE_DATE_EPOCH.
 */
export function provenancePredicate(p: ProvenanceInput): Record<string, unknown> {
    // Without a known source URL the commit still identifies the input.
    const uri = p.source ? `git+${p.source}@${p.gitSha}` : undefined;
    const dependency = { ...(uri ? { uri } : {}), digest: { gitCommit: p.gitSha } };
    return {
        buildDefinition: {
            buildType: BUILD_TYPE,
            externalParameters: {
                source: dependency,
                ...(p.dockerfile ? { dockerfile: p.dockerfile } : {}),
                platforms: p.platforms,
                buildArgs: p.buildArgs,
            },
            // What the builder sets itself, not the caller: its build args (src/builder's engineBuildArgs),
            // and the key of everything that decides the bytes.
            internalParameters: {
                VERSION: p.version,
                GIT_SHA: p.gitSha,
                SOURCE_DATE_EPOCH: String(p.sourceDateEpoch),
                ...(p.buildKey !== undefined ? { buildKey: p.buildKey } : {}),
            },
            resolvedDependencies: [dependency],
        },
        runDetails: { builder: { id: `pkg:npm/pulumi-image-release@${p.builderVersion}` } },
    };
}

/** This package's version: the provenance's builder. */
export function builderVersion(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("../../package.json") as { version: string }).version;
}
