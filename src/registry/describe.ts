import { ImageAge, ManifestChild, parseReference } from "../release";
import { getBlob } from "./blobs";
import { configDescriptor, indexChildren, isIndex } from "./descriptors";
import {
    MalformedManifestError,
    ManifestNotFoundError,
    MissingPlatformError,
    RegistryError,
    RegistryProtocolError,
    printable,
} from "./errors";
import { getManifest } from "./manifests";
import { Descriptor, Manifest } from "./mediatypes";
import type { Session } from "./session";

/* What an image is, read from its manifests and config: platforms, digests, labels, created. */

export interface PlatformEntry {
    platform: string; // "os/arch[/variant]"
    os: string;
    architecture: string;
    variant?: string;
    digest: string;
    size: number;
}

export interface ImageDescription {
    name: string;
    mediaType: string;
    digest: string; // the index digest (or the single manifest's digest)
    platforms: PlatformEntry[];
    labels: Record<string, string>;
    created?: string;
}

export interface ImageConfig {
    os?: string;
    architecture?: string;
    variant?: string;
    created?: string;
    config?: { Labels?: Record<string, string> | null };
}

/** arm64's only variant is v8, so buildx's `linux/arm64/v8` and our `linux/arm64` name one platform. */
export function platformString(os: string, architecture: string, variant?: string): string {
    return variant && !(architecture === "arm64" && variant === "v8")
        ? `${os}/${architecture}/${variant}`
        : `${os}/${architecture}`;
}

export function normalizePlatform(p: string): string {
    const [os, architecture, variant] = p.split("/");
    return architecture === undefined ? p : platformString(os, architecture, variant);
}

/** Index entries that are real images; buildx attestations use platform unknown/unknown. */
export function platformDescriptors(index: Manifest): Descriptor[] {
    return indexChildren(index).filter(
        (d) =>
            d.platform !== undefined &&
            !(d.platform.os === "unknown" && d.platform.architecture === "unknown"),
    );
}

export function entryFromDescriptor(d: Descriptor): PlatformEntry {
    const p = d.platform ?? { os: "unknown", architecture: "unknown" };
    return {
        platform: platformString(p.os, p.architecture, p.variant),
        os: p.os,
        architecture: p.architecture,
        ...(p.variant ? { variant: p.variant } : {}),
        digest: d.digest,
        size: d.size,
    };
}

export function entryFromConfig(manifest: Manifest, config: ImageConfig): PlatformEntry {
    const os = config.os ?? "unknown";
    const architecture = config.architecture ?? "unknown";
    return {
        platform: platformString(os, architecture, config.variant),
        os,
        architecture,
        ...(config.variant ? { variant: config.variant } : {}),
        digest: manifest.digest,
        size: manifest.bytes.length,
    };
}

export function describeFrom(
    name: string,
    top: Manifest,
    platforms: PlatformEntry[],
    config: ImageConfig,
): ImageDescription {
    return {
        name,
        mediaType: top.mediaType,
        digest: top.digest,
        platforms,
        labels: { ...(config.config?.Labels ?? {}) },
        ...(config.created ? { created: config.created } : {}),
    };
}

async function readConfig(session: Session, name: string, manifest: Manifest): Promise<ImageConfig> {
    const desc = configDescriptor(manifest);
    if (!desc)
        throw new MalformedManifestError(name, manifest.digest, "image manifest has no config descriptor");
    const bytes = await getBlob(session, name, desc.digest);
    try {
        return JSON.parse(bytes.toString("utf8")) as ImageConfig;
    } catch (e) {
        throw new RegistryProtocolError(
            `config ${desc.digest} in ${name} is not valid JSON: ${printable((e as Error).message)}`,
        );
    }
}

/** An index's platforms (the first one's config gives the labels), or a single image's own. */
export async function describeImage(session: Session, ref: string): Promise<ImageDescription> {
    const r = parseReference(ref);
    const top = await getManifest(session, r.name, r.digest ?? r.tag ?? "latest");
    if (isIndex(top)) {
        const entries = platformDescriptors(top).map(entryFromDescriptor);
        let config: ImageConfig = {};
        if (entries.length > 0) {
            const first = await getManifest(session, r.name, entries[0].digest);
            config = await readConfig(session, r.name, first);
        }
        return describeFrom(r.name, top, entries, config);
    }
    const config = await readConfig(session, r.name, top);
    return describeFrom(r.name, top, [entryFromConfig(top, config)], config);
}

/** The description, once every required platform is there. */
export async function verifyImage(
    session: Session,
    ref: string,
    requiredPlatforms: string[],
): Promise<ImageDescription> {
    const d = await describeImage(session, ref);
    const present = d.platforms.map((p) => p.platform);
    const missing = requiredPlatforms.filter((p) => !present.includes(normalizePlatform(p)));
    // A single manifest has exactly one platform, so requiring two already yields a missing one here.
    if (missing.length > 0) throw new MissingPlatformError(d.name, d.digest, missing, present);
    return d;
}

/** The manifests a manifest names (an index's; none for an image), or undefined when it is not there. */
export async function manifestChildren(
    session: Session,
    name: string,
    digest: string,
): Promise<ManifestChild[] | undefined> {
    let m: Manifest;
    try {
        m = await getManifest(session, name, digest);
    } catch (e) {
        if (e instanceof ManifestNotFoundError) return undefined;
        throw e;
    }
    if (!isIndex(m)) return [];
    return indexChildren(m).map((d) => ({
        digest: d.digest,
        ...(d.platform
            ? { platform: platformString(d.platform.os, d.platform.architecture, d.platform.variant) }
            : {}),
    }));
}

/** One image manifest's `created`, from its config. */
async function createdOf(session: Session, name: string, manifest: Manifest): Promise<ImageAge> {
    const created = (await readConfig(session, name, manifest)).created;
    if (typeof created !== "string" || Number.isNaN(Date.parse(created))) {
        return { problem: `the config of ${manifest.digest} has no created time` };
    }
    return { created };
}

/**
 * How old an image is: its config's `created` (ours is the commit time), for an index the newest of its
 * platforms'. Any platform without one, or a registry that will not say, leaves the age unknown.
 */
export async function imageAge(session: Session, name: string, digest: string): Promise<ImageAge> {
    try {
        const top = await getManifest(session, name, digest);
        const images = isIndex(top)
            ? await Promise.all(platformDescriptors(top).map((d) => getManifest(session, name, d.digest)))
            : [top];
        if (images.length === 0) return { problem: "an index without platform images" };
        let newest: ImageAge = {};
        for (const m of images) {
            const age = await createdOf(session, name, m);
            if (age.created === undefined) return age;
            if (newest.created === undefined || Date.parse(age.created) > Date.parse(newest.created))
                newest = age;
        }
        return newest;
    } catch (e) {
        if (e instanceof RegistryError) return { problem: e.message };
        throw e;
    }
}
