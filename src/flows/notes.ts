import { inTagSetOrder, isSemver, readVersion, writeFileAtomic } from "../release";
import { listStacks, StackImageConfig } from "../stackconfig";
import { CliDeps } from "./context";
import { loadStack, readOutputs, StackOptions } from "./stack";
import { Refusal, UsageRefusal } from "./refusal";
import { toolPath } from "./toolPath";
import {
    artifactTag,
    describeAttestation,
    readArtifact,
    readAttestations,
    readPublicKeys,
    trustedSigners,
} from "../signing";
import { mapLimit } from "./limit";
import { notesMarkdown } from "./notesMarkdown";

export interface NotesOptions extends StackOptions {
    version?: string;
    /** Default: the repository of dev's release record (where `release` pushed), else of the first stack. */
    repository?: string;
    /** Write `.image-release/notes/<version>.{md,json}`; default true. */
    write?: boolean;
}

export interface ReleaseNotes {
    version: string;
    repository: string;
    digest: string;
    tags: string[];
    platformDigests: Record<string, string>;
    gitSha?: string;
    labels: Record<string, string>;
    stacks: string[];
    /** Present when the digest is signed: the `.sig` tag, and which of the stacks' trusted keys verify it. */
    signature?: { ref: string; signatures: number; verifiedBy: string[] };
    /** Predicate types in the `.att` tag, each with the trusted key that signed it, or "unverified". */
    attestations?: string[];
}

/** What `notes` says about signatures: only keys the stack files trust count as verifying. */
async function signatureNotes(
    deps: CliDeps,
    repoRoot: string,
    stacks: StackImageConfig[],
    repository: string,
    digest: string,
): Promise<Pick<ReleaseNotes, "signature" | "attestations">> {
    const sig = await readArtifact(deps.client, repository, artifactTag(digest, "sig"));
    if (sig === undefined) return {};
    const paths = [...new Set(stacks.flatMap((s) => s.signingKeys ?? []))];
    const keys = readPublicKeys(paths, repoRoot);
    const verifiedBy = await trustedSigners(deps.client, repository, digest, sig.layers, keys);
    // Attestations are also check evidence and rejections, which the stacks' verifier keys sign.
    const verifiers = [...new Set(stacks.flatMap((s) => s.verifierKeys ?? []))].filter(
        (p) => !paths.includes(p),
    );
    const atts = await readAttestations(deps.client, repository, digest, [
        ...keys,
        ...readPublicKeys(verifiers, repoRoot),
    ]);
    return {
        signature: {
            ref: `${repository}:${artifactTag(digest, "sig")}`,
            signatures: sig.layers.length,
            verifiedBy,
        },
        attestations: atts.map(describeAttestation),
    };
}

const REVISION = "org.opencontainers.image.revision";

/** One known digest to describe: what a promotion or rollback already has in hand. */
export interface DigestNotesOptions extends StackOptions {
    repository: string;
    digest: string;
    version: string;
    /** The tags the caller knows point at `digest` (e.g. the ones it copied); the registry is not listed. */
    tags: string[];
}

/**
 * The notes of one digest the caller already knows (the pull-request text of a promotion): one
 * describe of the index and its signature, no tag listing and no HEAD per tag. Writes nothing.
 */
export async function notesForDigest(o: DigestNotesOptions, deps: CliDeps): Promise<ReleaseNotes> {
    const stacks = listStacks(o.stacksDir).map((s) => loadStack(o, s));
    return describeRelease(o, stacks, deps);
}

async function describeRelease(
    o: DigestNotesOptions,
    stacks: StackImageConfig[],
    deps: CliDeps,
): Promise<ReleaseNotes> {
    const d = await deps.client.describe(`${o.repository}@${o.digest}`);
    const gitSha = d.labels[REVISION];
    return {
        version: o.version,
        repository: o.repository,
        digest: d.digest,
        tags: inTagSetOrder(o.tags, o.version),
        platformDigests: Object.fromEntries(d.platforms.map((p) => [p.platform, p.digest])),
        ...(gitSha ? { gitSha } : {}),
        labels: Object.fromEntries(Object.entries(d.labels).sort(([a], [b]) => a.localeCompare(b))),
        stacks: stacks.filter((s) => runs(o.repoRoot, s, o.repository, d.digest)).map((s) => s.stack),
        ...(await signatureNotes(deps, o.repoRoot, stacks, o.repository, d.digest)),
    };
}

/** Every tag of `repository` that points at `digest`: a listing, then one HEAD per tag. */
async function tagsOf(deps: CliDeps, repository: string, digest: string): Promise<string[]> {
    const all = await deps.client.listTags(repository);
    const heads = await mapLimit(all, 16, async (t) => ({
        t,
        h: await deps.client.headManifest(repository, t),
    }));
    return heads.filter((x) => x.h?.digest === digest).map((x) => x.t);
}

/** Everything comes from the registry and the stack files, so notes can be regenerated at any time. */
export async function notes(o: NotesOptions, deps: CliDeps): Promise<ReleaseNotes> {
    // The version names the files below and the tag asked for: a path or a tag list is no version.
    if (o.version !== undefined && !isSemver(o.version)) {
        throw new UsageRefusal(`--version "${o.version}" is not a semver version (X.Y.Z, e.g. 1.4.2)`);
    }
    const version = o.version ?? readVersion(o.repoRoot);
    const stacks = listStacks(o.stacksDir).map((s) => loadStack(o, s));
    // `release` records where it pushed; `notes` right after it must describe that same image.
    const repository = o.repository ?? readOutputs(o.repoRoot, "dev")?.repository ?? stacks[0]?.repository;
    if (!repository) throw new Refusal(`no --repository given and no stacks in ${o.stacksDir}`);
    const head = await deps.client.headManifest(repository, version);
    if (!head) throw new Refusal(`tag ${version} not found in repo ${repository}; release it first`);
    const tags = await tagsOf(deps, repository, head.digest);
    const n = await describeRelease({ ...o, repository, digest: head.digest, version, tags }, stacks, deps);
    if (o.write !== false) {
        writeFileAtomic(toolPath(o.repoRoot, "notes", `${version}.md`), renderNotes(n));
        writeFileAtomic(toolPath(o.repoRoot, "notes", `${version}.json`), JSON.stringify(n, null, 2) + "\n");
    }
    return n;
}

/**
 * One rule for `release` and `notes`: a stack runs an image if its file pins that digest in that
 * repository, or, with no pin, if its release record (what its last run or `release` recorded) names
 * that repository and digest. The record's own repository counts, not the stack file's: that is where
 * the digest was pushed.
 */
function runs(repoRoot: string, s: StackImageConfig, repository: string, digest: string): boolean {
    if (s.digest !== undefined) return s.repository === repository && s.digest === digest;
    const rec = readOutputs(repoRoot, s.stack);
    return rec !== undefined && rec.repository === repository && rec.digest === digest;
}

/**
 * The notes file in Markdown: every value from the registry, a label or a stack file renders as text
 * (./notesMarkdown), so an image label cannot add a section or hide a line from whoever reads the notes.
 */
export function renderNotes(n: ReleaseNotes): string {
    return notesMarkdown(n);
}
