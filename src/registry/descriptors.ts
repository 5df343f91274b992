import { checkedDigest } from "./digest";
import { MalformedManifestError, RegistryProtocolError, ReplyFacts } from "./errors";
import { Descriptor, Manifest, isIndexMediaType } from "./mediatypes";

/*
 * The descriptors a manifest names: an index's children, an image's config and layers, a subject.
 * Every digest the client reads out of a manifest, to fetch or copy what it names, comes out of here,
 * and `checkDescriptors` has checked each one as the manifest was decoded (manifests.ts), before any
 * of them is used.
 */

/** Layers a registry must not redistribute (Windows base layers) are fetched from their URLs instead. */
const FOREIGN_LAYER = /\.foreign\./;

/** An index (or a Docker manifest list), by its media type or by its shape. */
export function isIndex(m: Manifest): boolean {
    return isIndexMediaType(m.mediaType) || Array.isArray(m.json.manifests);
}

/**
 * An index's entries: platform images, and attestation manifests beside them; each digest once (a
 * repeated entry would only be copied and listed twice).
 */
export function indexChildren(m: Manifest): Descriptor[] {
    const seen = new Set<string>();
    return (m.json.manifests ?? []).filter((d) => !seen.has(d.digest) && seen.add(d.digest));
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

/** Where a manifest came from, as its refusals name it. */
export interface ManifestSource {
    /** `registry/repository` */
    repository: string;
    reference: string;
    reply: ReplyFacts;
    maxIndexEntries: number;
}

/** The descriptor lists of a decoded manifest: each one a list of objects, when present. */
function descriptorList(json: Manifest["json"], field: "manifests" | "layers", o: ManifestSource): unknown[] {
    const list = json[field];
    if (list === undefined) return [];
    if (!Array.isArray(list)) {
        throw new MalformedManifestError(o.repository, o.reference, `"${field}" is not a list`, o.reply);
    }
    return list;
}

/** One descriptor: an object whose digest is a content digest and whose size, if given, is a byte count. */
function checkDescriptor(d: unknown, role: string, o: ManifestSource): void {
    const where = `manifest ${o.reference} in ${o.repository}`;
    if (typeof d !== "object" || d === null || Array.isArray(d)) {
        throw new MalformedManifestError(
            o.repository,
            o.reference,
            `${role} is not a descriptor object`,
            o.reply,
        );
    }
    const { digest, size } = d as { digest?: unknown; size?: unknown };
    checkedDigest(digest, `${where} gives ${role} the digest`, o.reply);
    if (size !== undefined && !(typeof size === "number" && Number.isSafeInteger(size) && size >= 0)) {
        throw new RegistryProtocolError(
            `${where} gives ${role} a size that is not a byte count; refusing it`,
            o.reply,
        );
    }
}

/**
 * Refuses a manifest before anything it names is used: every descriptor (index entries, config,
 * layers, subject) must carry a content digest, and an index may list `maxIndexEntries` at most.
 */
export function checkDescriptors(json: Manifest["json"], o: ManifestSource): void {
    const children = descriptorList(json, "manifests", o);
    if (children.length > o.maxIndexEntries) {
        throw new RegistryProtocolError(
            `index ${o.reference} in ${o.repository} lists ${children.length} manifests, more than the ${o.maxIndexEntries} an index may list (maxIndexEntries); refusing it`,
            o.reply,
        );
    }
    children.forEach((d, i) => checkDescriptor(d, `manifests[${i}]`, o));
    if (json.config !== undefined) checkDescriptor(json.config, "config", o);
    descriptorList(json, "layers", o).forEach((d, i) => checkDescriptor(d, `layers[${i}]`, o));
    if (json.subject !== undefined) checkDescriptor(json.subject, "subject", o);
}
