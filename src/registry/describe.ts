import { Descriptor, Manifest, isIndexMediaType } from "./mediatypes";

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
    return (index.json.manifests ?? []).filter(
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

export { isIndexMediaType };
