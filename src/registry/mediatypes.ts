export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

/** Every manifest type we can read; the registry picks the stored one, never converts. */
export const MANIFEST_ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST].join(", ");

export function isIndexMediaType(mediaType: string): boolean {
    return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

export interface Descriptor {
    mediaType: string;
    digest: string;
    size: number;
    platform?: { os: string; architecture: string; variant?: string };
    annotations?: Record<string, string>;
}

export interface Manifest {
    mediaType: string;
    digest: string;
    bytes: Buffer;
    json: {
        schemaVersion?: number;
        mediaType?: string;
        manifests?: Descriptor[];
        config?: Descriptor;
        layers?: Descriptor[];
        [key: string]: unknown;
    };
}
