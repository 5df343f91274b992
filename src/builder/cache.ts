import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeFileAtomic } from "../release";
import { LAYER_FORMAT } from "./blockGzip";
import { CONFIG_FORMAT } from "./image";

export interface CachedBuild {
    digest: string;
    platformDigests: Record<string, string>;
}

/** `$IMAGE_RELEASE_CACHE_DIR`, else `$XDG_CACHE_HOME/image-release`, else `~/.cache/image-release`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
    if (env.IMAGE_RELEASE_CACHE_DIR) return env.IMAGE_RELEASE_CACHE_DIR;
    return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "image-release");
}

/**
 * Everything that decides the index digest, the layer format included; equal keys mean the build
 * would give the same bytes.
 */
export function buildKey(o: {
    repository: string;
    contextHash: string;
    platforms: string[];
    labels: Record<string, string>;
    sourceDateEpoch: number;
}): string {
    const labels = Object.keys(o.labels)
        .sort()
        .map((k) => [k, o.labels[k]]);
    const text = JSON.stringify([
        LAYER_FORMAT,
        CONFIG_FORMAT,
        o.repository,
        o.contextHash,
        o.platforms,
        labels,
        o.sourceDateEpoch,
    ]);
    return createHash("sha256").update(text).digest("hex");
}

/**
 * A key → digest file per build. The registry stays the truth: a hit is only used after the digest is
 * verified there, so a stale or hand-edited entry costs a rebuild, never a wrong image.
 */
export class BuildCache {
    constructor(private readonly dir: string = defaultCacheDir()) {}

    private file(key: string): string {
        return path.join(this.dir, `${key}.json`);
    }

    get(key: string): CachedBuild | undefined {
        try {
            const v = JSON.parse(fs.readFileSync(this.file(key), "utf8")) as Partial<CachedBuild>;
            if (typeof v.digest === "string" && v.platformDigests && typeof v.platformDigests === "object") {
                return { digest: v.digest, platformDigests: v.platformDigests };
            }
        } catch {
            // Missing or unreadable: treat as a miss.
        }
        return undefined;
    }

    put(key: string, value: CachedBuild): void {
        writeFileAtomic(this.file(key), JSON.stringify(value, null, 2) + "\n");
    }
}

/** What a memory of builds other than this machine's answers for a build key. */
export type RememberedBuild =
    /** A digest it vouches for; still verified in the registry (every platform) before reuse. */
    | { digest: string }
    /** A record it found but does not trust, and why: the build runs. */
    | { refused: string }
    /** No record. */
    | undefined;

/**
 * A memory of builds shared by every machine that releases into the repository (the flows' registry
 * record, `buildkey-<key>`): consulted after a local cache miss, so a fresh CI runner does not rebuild
 * an unchanged context.
 */
export interface BuildMemory {
    find(buildKey: string): Promise<RememberedBuild>;
}
