import * as semver from "semver";
import { ReleaseRuleError } from "./errors";
import { isTag } from "./reference";
import { isSemver } from "./version";

export type Channel = "dev" | "staging" | "prod";
export const CHANNELS: readonly Channel[] = ["dev", "staging", "prod"];
/** Environments that never build and must run a pinned digest. */
export const PINNED_STACKS: readonly string[] = ["staging", "prod"];

export interface TagSetOptions {
    version: string;
    gitSha: string;
    channel?: Channel;
    allowLatest?: boolean;
    includeMajorZero?: boolean;
    /** Default "refuse": "+" is not allowed in an OCI tag, so build metadata must be dropped or mapped. */
    buildMetadata?: "refuse" | "underscore";
    /** Move floating tags (X.Y, X, latest) only when this version is the highest in their scope. */
    onlyIfHighest?: { existingTags: string[] };
}

export interface TagSet {
    /** The version the tags came from, without a leading "v". */
    version: string;
    /** Order: X.Y.Z, X.Y, X, git-<7>, channel, latest. */
    tags: string[];
    immutable: string[];
    floating: string[];
    /** Human-readable notes on what was adjusted or held back, e.g. a stripped "v". */
    notes: string[];
}

const GIT_SHA = /^[0-9a-fA-F]{7,40}$/;

function checkTag(tag: string): string {
    if (!isTag(tag)) {
        throw new ReleaseRuleError(
            `tag "${tag}" is not a valid OCI tag (expected [A-Za-z0-9_][A-Za-z0-9._-]{0,127})`,
        );
    }
    return tag;
}

/** Existing release versions (no pre-release), read from tags; other tags (X.Y, git-…, latest) are ignored. */
function existingReleases(tags: string[]): semver.SemVer[] {
    const out: semver.SemVer[] = [];
    for (const tag of tags) {
        const candidate = tag.replace(/^v(?=[0-9])/, "").replace("_", "+");
        if (!/^[0-9]+\.[0-9]+\.[0-9]+/.test(candidate) || !isSemver(candidate)) {
            continue;
        }
        const parsed = new semver.SemVer(candidate);
        if (parsed.prerelease.length === 0) {
            out.push(parsed);
        }
    }
    return out;
}

/** The tags one release pushes, all pointing at the same index digest. */
export function computeTagSet(o: TagSetOptions): TagSet {
    const notes: string[] = [];
    let version = o.version;
    if (/^v[0-9]/.test(version)) {
        version = version.slice(1);
        notes.push(`stripped leading "v" from version "${o.version}"`);
    }
    if (!/^[0-9]/.test(version) || !isSemver(version)) {
        throw new ReleaseRuleError(
            `version "${o.version}" is not a semver version (expected X.Y.Z[-pre][+build])`,
        );
    }
    if (!GIT_SHA.test(o.gitSha)) {
        throw new ReleaseRuleError(`git sha "${o.gitSha}" is not 7-40 hex characters`);
    }
    if (o.channel !== undefined && !CHANNELS.includes(o.channel)) {
        throw new ReleaseRuleError(`channel "${String(o.channel)}" is not one of ${CHANNELS.join(", ")}`);
    }
    if (o.allowLatest && o.channel !== undefined && PINNED_STACKS.includes(o.channel)) {
        throw new ReleaseRuleError(
            `"latest" is not allowed with channel "${o.channel}" (only dev or no channel may move latest)`,
        );
    }
    const mode = o.buildMetadata ?? "refuse";
    if (mode !== "refuse" && mode !== "underscore") {
        throw new ReleaseRuleError(`buildMetadata "${String(mode)}" is not one of refuse, underscore`);
    }
    const v = new semver.SemVer(version);
    let full = v.version;
    if (v.build.length > 0) {
        const build = v.build.join(".");
        if (mode === "refuse") {
            throw new ReleaseRuleError(
                `version "${o.version}" has build metadata "+${build}", which is not valid in an image tag; ` +
                    `drop it or set buildMetadata: "underscore"`,
            );
        }
        full = `${v.version}_${build}`;
        notes.push(`mapped build metadata "+${build}" to "_${build}" in tag "${full}"`);
    }
    const git = `git-${o.gitSha.toLowerCase().slice(0, 7)}`;
    const immutable = [checkTag(full), git];
    const floating: string[] = [];
    const isPre = v.prerelease.length > 0;

    const existing = o.onlyIfHighest ? existingReleases(o.onlyIfHighest.existingTags) : [];
    const highestIn = (tag: string, scope: semver.SemVer[]): boolean => {
        const higher = scope.filter((e) => semver.gt(e, v)).sort(semver.rcompare)[0];
        if (higher !== undefined) {
            notes.push(`not moving "${tag}": ${higher.version} is higher than ${v.version}`);
            return false;
        }
        return true;
    };
    const minorTag = `${v.major}.${v.minor}`;
    const majorTag = `${v.major}`;
    if (!isPre) {
        if (
            highestIn(
                minorTag,
                existing.filter((e) => e.major === v.major && e.minor === v.minor),
            )
        ) {
            floating.push(minorTag);
        }
        if (v.major === 0 && !o.includeMajorZero) {
            // A bare "0" would float across breaking 0.x releases, so it is opt-in.
        } else if (
            highestIn(
                majorTag,
                existing.filter((e) => e.major === v.major),
            )
        ) {
            floating.push(majorTag);
        }
    }
    const tail: string[] = [];
    if (o.channel !== undefined) {
        tail.push(o.channel);
    }
    if (o.allowLatest) {
        if (isPre) {
            notes.push(`not moving "latest": ${v.version} is a pre-release`);
        } else if (highestIn("latest", existing)) {
            tail.push("latest");
        }
    }
    const tags = [full, ...floating, git, ...tail];
    return { version: v.version, tags, immutable, floating: [...floating, ...tail], notes };
}

/**
 * The floating tags of `version` (X.Y, X, latest) that must stay where they are because the registry
 * already holds a higher release in their scope: releasing 1.3.5 after 2.0.0 must not move `latest`
 * (docker/metadata-action#326).
 */
export function supersededFloatingTags(version: string, existingTags: string[]): string[] {
    const base = { version, gitSha: "0000000", allowLatest: true, includeMajorZero: true };
    const kept = computeTagSet({ ...base, onlyIfHighest: { existingTags } }).floating;
    return computeTagSet(base).floating.filter((t) => !kept.includes(t));
}

/** Immutable tags name one build forever: X.Y.Z (with pre-release or mapped build metadata) and git-<sha>. */
export function isImmutableTag(tag: string): boolean {
    if (/^git-[0-9a-f]{7,40}$/.test(tag)) {
        return true;
    }
    const candidate = tag.replace("_", "+");
    return /^[0-9]+\.[0-9]+\.[0-9]+/.test(candidate) && isSemver(candidate);
}
