import { Descriptor, Manifest, isIndexMediaType } from "./mediatypes";

/*
 * The descriptors a manifest names: an index's children, an image's config and layers. Every digest
 * the client reads out of a manifest, to fetch or copy what it names, comes out of here.
 */

/** Layers a registry must not redistribute (Windows base layers) are fetched from their URLs instead. */
const FOREIGN_LAYER = /\.foreign\./;

/** An index (or a Docker manifest list), by its media type or by its shape. */
export function isIndex(m: Manifest): boolean {
    return isIndexMediaType(m.mediaType) || Array.isArray(m.json.manifests);
}

/** An index's entries: platform images, and attestation manifests beside them. */
export function indexChildren(m: Manifest): Descriptor[] {
    return m.json.manifests ?? [];
}

/** An image's config, when the manifest names one. */
export function configDescriptor(m: Manifest): Descriptor | undefined {
    return m.json.config?.digest ? m.json.config : undefined;
}

/** The blobs an image is made of and a copy must carry: its config and its layers, foreign ones left out. */
export function imageBlobs(m: Manifest): Descriptor[] {
    const config = configDescriptor(m);
    return [...(config ? [config] : []), ...(m.json.layers ?? [])].filter(
        (b) => !FOREIGN_LAYER.test(b.mediaType ?? ""),
    );
}
