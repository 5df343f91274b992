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

/** A version as its tags spell it: without a leading "v", checked as semver. */
function parseVersion(given: string, notes: string[]): semver.SemVer {
    let version = given;
    if (/^v[0-9]/.test(version)) {
        version = version.slice(1);
        notes.push(`stripped leading "v" from version "${given}"`);
    }
    if (!/^[0-9]/.test(version) || !isSemver(version)) {
        throw new ReleaseRuleError(
            `version "${given}" is not a semver version (expected X.Y.Z[-pre][+build])`,
        );
    }
    return new semver.SemVer(version);
}

/** The X.Y.Z tag: build metadata is refused, or mapped to "_" ("+" is not valid in an OCI tag). */
function fullVersionTag(
    given: string,
    v: semver.SemVer,
    mode: TagSetOptions["buildMetadata"],
    notes: string[],
): string {
    if (v.build.length === 0) return checkTag(v.version);
    const build = v.build.join(".");
    if (mode !== "underscore") {
        throw new ReleaseRuleError(
            `version "${given}" has build metadata "+${build}", which is not valid in an image tag; ` +
                `drop it or set buildMetadata: "underscore"`,
        );
    }
    const full = `${v.version}_${build}`;
    notes.push(`mapped build metadata "+${build}" to "_${build}" in tag "${full}"`);
    return checkTag(full);
}

function checkGitSha(gitSha: string): void {
    if (!GIT_SHA.test(gitSha)) {
        throw new ReleaseRuleError(`git sha "${gitSha}" is not 7-40 hex characters`);
    }
}

/** The refusals of the options themselves, in the order a user fixes them. */
function checkOptions(o: TagSetOptions, mode: string): void {
    checkGitSha(o.gitSha);
    if (o.channel !== undefined && !CHANNELS.includes(o.channel)) {
        throw new ReleaseRuleError(`channel "${String(o.channel)}" is not one of ${CHANNELS.join(", ")}`);
    }
    if (o.allowLatest && o.channel !== undefined && PINNED_STACKS.includes(o.channel)) {
        throw new ReleaseRuleError(
            `"latest" is not allowed with channel "${o.channel}" (only dev or no channel may move latest)`,
        );
    }
    if (mode !== "refuse" && mode !== "underscore") {
        throw new ReleaseRuleError(`buildMetadata "${mode}" is not one of refuse, underscore`);
    }
}

/**
 * The floating tags: X.Y and X (no bare 0 unless asked), then the channel and latest; each version tag
 * and latest only where this version is the highest in its scope.
 */
function floatingTags(
    o: TagSetOptions,
    v: semver.SemVer,
    notes: string[],
): { versions: string[]; named: string[] } {
    const existing = o.onlyIfHighest ? existingReleases(o.onlyIfHighest.existingTags) : [];
    const highestIn = (tag: string, scope: semver.SemVer[]): boolean => {
        const higher = scope.filter((e) => semver.gt(e, v)).sort(semver.rcompare)[0];
        if (higher !== undefined) {
            notes.push(`not moving "${tag}": ${higher.version} is higher than ${v.version}`);
            return false;
        }
        return true;
    };
    const isPre = v.prerelease.length > 0;
    const versions: string[] = [];
    if (!isPre) {
        const minorTag = `${v.major}.${v.minor}`;
        const sameMinor = existing.filter((e) => e.major === v.major && e.minor === v.minor);
        if (highestIn(minorTag, sameMinor)) versions.push(minorTag);
        // A bare "0" would float across breaking 0.x releases, so it is opt-in.
        const majorTag = `${v.major}`;
        const sameMajor = existing.filter((e) => e.major === v.major);
        if ((v.major !== 0 || o.includeMajorZero) && highestIn(majorTag, sameMajor)) versions.push(majorTag);
    }
    const named: string[] = o.channel !== undefined ? [o.channel] : [];
    if (o.allowLatest) {
        if (isPre) {
            notes.push(`not moving "latest": ${v.version} is a pre-release`);
        } else if (highestIn("latest", existing)) {
            named.push("latest");
        }
    }
    return { versions, named };
}

/** The tags one release pushes, all pointing at the same index digest. */
export function computeTagSet(o: TagSetOptions): TagSet {
    const notes: string[] = [];
    const v = parseVersion(o.version, notes);
    const mode = o.buildMetadata ?? "refuse";
    checkOptions(o, String(mode));
    const full = fullVersionTag(o.version, v, mode, notes);
    const git = gitTag(o.gitSha);
    const { versions, named } = floatingTags(o, v, notes);
    return {
        version: v.version,
        tags: [full, ...versions, git, ...named],
        immutable: [full, git],
        floating: [...versions, ...named],
        notes,
    };
}

/** The X.Y.Z tag of a release version (a leading "v" dropped); build metadata is refused. */
export function versionTag(version: string): string {
    return fullVersionTag(version, parseVersion(version, []), "refuse", []);
}

/** The `git-<7>` tag of a commit: its first 7 hex characters, lowercase, whatever length of sha is given. */
export function gitTag(gitSha: string): string {
    checkGitSha(gitSha);
    return `git-${gitSha.toLowerCase().slice(0, 7)}`;
}

/**
 * The tags that travel with a digest copied into another repository (a promotion across registries,
 * `pulumi up` of a pin with a sourceRepository): only the ones that name this one build forever, X.Y.Z
 * and git-<7>. Floating tags there belong to the target's own channel.
 */
export function copiedTags(version: string, gitSha: string): string[] {
    return computeTagSet({ version, gitSha }).immutable;
}

/** A `git-<sha>` tag: the commit tags of the tag set (and any sha length a registry already holds). */
export function isGitTag(tag: string): boolean {
    return tag.startsWith("git-");
}

/** The tag by which a repository remembers the build of a build key: `buildkey-<64 hex>`. */
export function buildRecordTag(buildKey: string): string {
    if (!/^[0-9a-f]{64}$/.test(buildKey)) {
        throw new ReleaseRuleError(`build key "${buildKey}" is not 64 lowercase hex characters`);
    }
    return `buildkey-${buildKey}`;
}

/** A build record's tag: never a release, commit or channel tag. */
export function isBuildRecordTag(tag: string): boolean {
    return /^buildkey-[0-9a-f]{64}$/.test(tag);
}

/**
 * A channel is a floating tag a stack moves: a lowercase name no release tag (X.Y.Z, git-…) or build
 * record (buildkey-…) can take.
 */
export function isChannelTag(tag: string): boolean {
    return /^[a-z][a-z0-9-]{0,127}$/.test(tag) && !isGitTag(tag) && !tag.startsWith("buildkey-");
}

/** Tags in the order of computeTagSet: X.Y.Z, X.Y, X, git-…, then the rest alphabetically. */
export function inTagSetOrder(tags: string[], version: string): string[] {
    const [maj, min] = version.replace(/^v/, "").split(".");
    const full = version.replace(/^v/, "");
    const rank = (t: string) =>
        t === full ? 0 : t === `${maj}.${min}` ? 1 : t === maj ? 2 : isGitTag(t) ? 3 : 4;
    return [...tags].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
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
