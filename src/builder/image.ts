import { rfc3339 } from "../release";
import {
    Descriptor,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER,
    OCI_MANIFEST,
    platformString,
    sha256Digest,
} from "../registry";
import { BuildError } from "./errors";

export interface Platform {
    architecture: string;
    os: string;
    variant?: string;
}

const KNOWN_OS = ["linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos", "aix"];
const KNOWN_ARCH = [
    "amd64",
    "arm64",
    "arm",
    "386",
    "ppc64le",
    "ppc64",
    "s390x",
    "riscv64",
    "loong64",
    "mips64le",
    "mips64",
    "mipsle",
    "mips",
    "wasm",
];

/** `linux/arm64/v8` and `linux/arm64` are one platform; we write the short form everywhere. */
export function parsePlatform(p: string): Platform {
    const [os, architecture, variant, extra] = p.split("/");
    if (
        !os ||
        !architecture ||
        extra !== undefined ||
        !/^[a-z0-9]+$/.test(os + architecture) ||
        (variant !== undefined && !/^[a-z0-9]+$/.test(variant))
    ) {
        throw new BuildError(`platform "${p}" is not os/arch[/variant], e.g. linux/amd64`);
    }
    // Go's GOOS/GOARCH values, which the OCI image index uses; anything else is a typo (s390 for
    // s390x) that would otherwise surface as a BuildKit log after minutes of building.
    if (!KNOWN_OS.includes(os)) {
        throw new BuildError(`platform "${p}" has unknown os "${os}" (known: ${KNOWN_OS.join(", ")})`);
    }
    if (!KNOWN_ARCH.includes(architecture)) {
        throw new BuildError(
            `platform "${p}" has unknown architecture "${architecture}" (known: ${KNOWN_ARCH.join(", ")})`,
        );
    }
    if (variant && !(architecture === "arm64" && variant === "v8")) return { architecture, os, variant };
    return { architecture, os };
}

/** The registry's spelling of a platform, so built and described platforms compare equal. */
export function platformKey(p: Platform): string {
    return platformString(p.os, p.architecture, p.variant);
}

// The OCI image-spec config fields; engine extras (container, container_config, docker_version,
// buildinfo) carry host ids and wall-clock times, so they are not carried over.
const CONFIG_KEYS = [
    "architecture",
    "os",
    "os.version",
    "os.features",
    "variant",
    "config",
    "rootfs",
    "history",
];

/**
 * What the config normalisation does beyond the layers (see reproducibleConfig); part of the build key,
 * so a build recorded under another form is never reused for the same commit.
 */
export const CONFIG_FORMAT = "history-without-created_by/run-config-without-nulls";

/**
 * Makes the engine's config reproducible, and the same whichever builder built it: `created` and
 * every history time are the commit time, the labels are ours over the Dockerfile's, and diff_ids are
 * those of the normalized layers. History keeps when and whether a step made a layer, not the
 * builder's rendering of the step (`created_by`): BuildKit versions write it differently (`ARG V` or
 * `ARG V=1.2.3`, `EXPOSE map[8080/tcp:{}]` or `EXPOSE [8080/tcp]`). Run-config keys whose value is
 * null (Docker's `OnBuild: null`) say nothing, and are left out.
 */
export function reproducibleConfig(
    engineConfig: Record<string, unknown>,
    o: { platform: Platform; epochSeconds: number; labels: Record<string, string>; diffIds: string[] },
): Buffer {
    const arch = engineConfig.architecture;
    const os = engineConfig.os;
    if (arch !== o.platform.architecture || os !== o.platform.os) {
        throw new BuildError(
            `the engine built ${String(os)}/${String(arch)} when ${platformKey(o.platform)} was asked for`,
        );
    }
    const created = rfc3339(o.epochSeconds);
    const out: Record<string, unknown> = { created };
    for (const k of CONFIG_KEYS) if (engineConfig[k] !== undefined) out[k] = engineConfig[k];
    if (o.platform.variant) out.variant = o.platform.variant;
    else delete out.variant;
    const runConfig = Object.fromEntries(
        Object.entries((engineConfig.config as Record<string, unknown> | undefined) ?? {}).filter(
            ([, v]) => v !== null,
        ),
    );
    runConfig.Labels = sortKeys({
        ...((runConfig.Labels as Record<string, string> | null) ?? {}),
        ...o.labels,
    });
    out.config = runConfig;
    out.rootfs = { type: "layers", diff_ids: o.diffIds };
    const history = (engineConfig.history as Record<string, unknown>[] | undefined) ?? [];
    out.history = history.map((h) => {
        const kept = Object.fromEntries(Object.entries(h).filter(([k]) => k !== "created_by"));
        return { ...kept, created };
    });
    return Buffer.from(JSON.stringify(out));
}

function sortKeys(o: Record<string, string>): Record<string, string> {
    return Object.fromEntries(
        Object.keys(o)
            .sort()
            .map((k) => [k, o[k]]),
    );
}

export function descriptor(mediaType: string, bytes: Buffer): Descriptor {
    return { mediaType, digest: sha256Digest(bytes), size: bytes.length };
}

/** A layer as the manifest names it: its bytes, or its digest and size when they are on disk. */
export type LayerRef = Buffer | { digest: string; size: number };

export function imageManifest(config: Buffer, layers: LayerRef[]): Buffer {
    return Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            config: descriptor(OCI_CONFIG, config),
            layers: layers.map((l) =>
                Buffer.isBuffer(l)
                    ? descriptor(OCI_LAYER, l)
                    : { mediaType: OCI_LAYER, digest: l.digest, size: l.size },
            ),
        }),
    );
}

/** One index for all platforms, in the order asked for, with the release's OCI annotations. */
export function imageIndex(
    entries: { platform: Platform; manifest: Buffer }[],
    annotations: Record<string, string>,
): Buffer {
    return Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_INDEX,
            manifests: entries.map((e) => ({
                ...descriptor(OCI_MANIFEST, e.manifest),
                platform: e.platform,
            })),
            ...(Object.keys(annotations).length > 0 ? { annotations: sortKeys(annotations) } : {}),
        }),
    );
}
