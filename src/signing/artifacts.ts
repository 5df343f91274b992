import {
    Manifest,
    ManifestNotFoundError,
    OCI_CONFIG,
    OCI_MANIFEST,
    RegistryClient,
    sha256Digest,
} from "../registry";

export interface ArtifactLayer {
    mediaType: string;
    digest: string;
    size: number;
    annotations?: Record<string, string>;
}

/** The manifest at `repository:tag`, or undefined when the tag does not exist. */
export async function readArtifact(
    client: RegistryClient,
    repository: string,
    tag: string,
): Promise<{ manifest: Manifest; layers: ArtifactLayer[] } | undefined> {
    try {
        const manifest = await client.getManifest(repository, tag);
        return { manifest, layers: manifest.json.layers ?? [] };
    } catch (e) {
        if (e instanceof ManifestNotFoundError) return undefined;
        throw e;
    }
}

/**
 * Adds one layer (a signature or an attestation) to the manifest cosign keeps at `tag`, as cosign
 * does: earlier layers stay, the same layer twice is kept once. The config is cosign's fixed one, so
 * the same set of layers always gives the same manifest digest.
 */
export async function appendArtifactLayer(
    client: RegistryClient,
    repository: string,
    tag: string,
    blob: Buffer,
    layer: Omit<ArtifactLayer, "digest" | "size">,
    /**
     * Whether an existing layer already says what this one says. ECDSA signatures are randomised, so
     * "the same signature" means the same statement signed by the same key, which only the caller knows.
     */
    alreadyThere: (existing: ArtifactLayer) => Promise<boolean> = async (l) =>
        l.digest === sha256Digest(blob) &&
        JSON.stringify(l.annotations ?? {}) === JSON.stringify(layer.annotations ?? {}),
    /** Earlier layers the new one replaces (a newer statement about the same thing), dropped as it is added. */
    replaces: (existing: ArtifactLayer) => Promise<boolean> = async () => false,
): Promise<{ manifestDigest: string; added: boolean }> {
    const digest = sha256Digest(blob);
    const current = await readArtifact(client, repository, tag);
    const layers: ArtifactLayer[] = [];
    for (const l of current?.layers ?? []) if (!(await replaces(l))) layers.push(l);
    for (const l of layers) {
        if (current && (await alreadyThere(l)))
            return { manifestDigest: current.manifest.digest, added: false };
    }
    await client.pushBlob(repository, blob);
    const next = [
        ...layers,
        { mediaType: layer.mediaType, size: blob.length, digest, annotations: layer.annotations },
    ];
    const config = Buffer.from(
        JSON.stringify({
            architecture: "",
            created: "0001-01-01T00:00:00Z",
            // One history entry per layer, as cosign writes it.
            history: next.map(() => ({ created: "0001-01-01T00:00:00Z" })),
            os: "",
            rootfs: { type: "layers", diff_ids: next.map((l) => l.digest) },
            config: {},
        }),
    );
    await client.pushBlob(repository, config);
    const manifest = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            config: { mediaType: OCI_CONFIG, size: config.length, digest: sha256Digest(config) },
            layers: next,
        }),
    );
    const manifestDigest = await client.putManifest(repository, tag, manifest, OCI_MANIFEST);
    return { manifestDigest, added: true };
}
