import * as fs from "fs";
import * as semver from "semver";
import { computeTagSet, isGitTag, isSemver, PINNED_STACKS, ReleaseRecord } from "../release";
import { listStacks, StackConfigError, StackImageConfig, stackFile } from "../stackconfig";
import { CliDeps } from "./context";
import { loadStack, outputsDir, readOutputs, readSetOutputs, StackOptions } from "./stack";
import { UsageRefusal } from "./refusal";
import {
    describeAttestation,
    readAttestations,
    readPublicKeys,
    requiredSignature,
    SigningError,
} from "../signing";
import { mapLimit } from "./limit";

export interface VerifyOptions extends StackOptions {
    /** Check only this version's tags; default every X.Y.Z tag in each repository. */
    version?: string;
}

export interface VerifyResult {
    ok: boolean;
    findings: string[];
    /** Each pinned stack that names trusted keys or requires signatures: who signed its digest, and its attestations. */
    signatures: StackSignature[];
}

export interface StackSignature {
    stack: string;
    /** The image of a set the digest is pinned for; absent for a single-image stack. */
    image?: string;
    digest: string;
    /** The trusted key whose signature verified; absent when none did (then there is a finding or `error`). */
    signedBy?: string;
    /** Predicate types in `sha256-<hex>.att`, each with the trusted key that signed it, or "unverified". */
    attestations: string[];
    /** Why the signature did not verify, for a stack that does not require one. */
    error?: string;
}

/** One pinned digest of a stack: the stack's only one, or one image of its set. */
interface StackPin {
    s: StackImageConfig;
    /** Set only for an image of a set: how findings and signatures name it. */
    image?: string;
    repository: string;
    digest: string;
}

/** How a finding names a pin's owner: `stack prod`, or `stack prod image api`. */
function pinOwner(p: Pick<StackPin, "s" | "image">): string {
    return p.image !== undefined ? `stack ${p.s.stack} image ${p.image}` : `stack ${p.s.stack}`;
}

/** The signature and attestations of one stack's pin, as `verify` reports them. */
async function stackSignature(
    deps: CliDeps,
    p: StackPin,
    repoRoot: string,
    findings: string[],
): Promise<StackSignature | undefined> {
    const { s, digest } = p;
    if (!s.requireSignature && (s.signingKeys ?? []).length === 0) return undefined;
    const who = { stack: s.stack, ...(p.image !== undefined ? { image: p.image } : {}), digest };
    try {
        const v = await requiredSignature(
            deps.client,
            { ...s, requireSignature: true },
            repoRoot,
            p.repository,
            digest,
        );
        const atts = await readAttestations(
            deps.client,
            p.repository,
            digest,
            // The release key signs provenance and SBOM; a verifier key signs check evidence and rejections.
            readPublicKeys([...(s.signingKeys ?? []), ...(s.verifierKeys ?? [])], repoRoot),
        );
        return { ...who, ...(v ? { signedBy: v.keyId } : {}), attestations: atts.map(describeAttestation) };
    } catch (e) {
        if (!(e instanceof SigningError)) throw e;
        if (s.requireSignature) {
            findings.push(e.message);
            return { ...who, attestations: [] };
        }
        return { ...who, attestations: [], error: e.message };
    }
}

const REVISION = "org.opencontainers.image.revision";

/**
 * Every `.image-release/outputs/<stack>.json`, and every image of each `<stack>.releases.json` (a set's):
 * a release record names the git sha of a digest.
 */
function releaseRecords(repoRoot: string, findings: string[]): ReleaseRecord[] {
    const dir = outputsDir(repoRoot);
    if (!fs.existsSync(dir)) return [];
    const out: ReleaseRecord[] = [];
    for (const f of fs.readdirSync(dir).sort()) {
        if (!f.endsWith(".json")) continue;
        try {
            if (f.endsWith(".releases.json")) {
                out.push(
                    ...Object.values(readSetOutputs(repoRoot, f.slice(0, -".releases.json".length)) ?? {}),
                );
                continue;
            }
            const r = readOutputs(repoRoot, f.slice(0, -".json".length));
            if (r) out.push(r);
        } catch (e) {
            findings.push((e as Error).message);
        }
    }
    return out;
}

/** Every stack file; one that does not load (or names `latest`) is a finding, and the others still count. */
function readStacks(o: VerifyOptions, findings: string[]): StackImageConfig[] {
    const stacks: StackImageConfig[] = [];
    for (const name of listStacks(o.stacksDir)) {
        const text = fs.readFileSync(stackFile(o.stacksDir, name), "utf8");
        if (/(^|[\s:"'])latest(["'\s]|$)/m.test(text.replace(/#.*$/gm, ""))) {
            findings.push(`stack ${name} uses the latest tag`);
        }
        try {
            stacks.push(loadStack(o, name));
        } catch (e) {
            if (!(e instanceof StackConfigError)) throw e;
            findings.push(...(e.problems.length > 0 ? e.problems : [e.message]));
        }
    }
    // Which stacks must pin is a property of the environment, not of where promotions come from.
    for (const s of stacks) {
        if (!PINNED_STACKS.includes(s.stack)) continue;
        for (const [name, i] of Object.entries(s.images)) {
            if (i.digest !== undefined) continue;
            findings.push(
                s.form === "set"
                    ? `stack ${s.stack} image ${name} does not pin a digest (image-release:images.${name}.digest)`
                    : `stack ${s.stack} does not pin a digest (image-release:digest)`,
            );
        }
    }
    return stacks;
}

/** A pin the registry no longer has (garbage-collected, deleted, never pushed) fails the next deploy. */
async function checkPins(
    o: VerifyOptions,
    stacks: StackImageConfig[],
    deps: CliDeps,
    findings: string[],
): Promise<StackSignature[]> {
    const pins: StackPin[] = stacks.flatMap((s) =>
        Object.entries(s.images).flatMap(([name, i]) =>
            i.digest === undefined
                ? []
                : [
                      {
                          s,
                          ...(s.form === "set" ? { image: name } : {}),
                          repository: i.repository,
                          digest: i.digest,
                      },
                  ],
        ),
    );
    const found = await mapLimit(pins, 16, (p) => deps.client.headManifest(p.repository, p.digest));
    const signatures: StackSignature[] = [];
    for (const [i, p] of pins.entries()) {
        if (!found[i]) {
            findings.push(`${pinOwner(p)} pins ${p.digest}, which is not in ${p.repository}`);
            continue;
        }
        const sig = await stackSignature(deps, p, o.repoRoot, findings);
        if (sig) signatures.push(sig);
    }
    return signatures;
}

/** The git sha of a released digest: what the release recorded for it, else the image's revision label. */
async function releasedGitSha(
    deps: CliDeps,
    records: ReleaseRecord[],
    repo: string,
    digest: string,
): Promise<string | undefined> {
    const recorded = records.find((r) => r.repository === repo && r.digest === digest)?.gitSha;
    return recorded ?? (await deps.client.describe(`${repo}@${digest}`)).labels[REVISION];
}

/** Every tag that version `v` owns must point at the digest of `v` itself. */
async function checkVersion(
    deps: CliDeps,
    repo: string,
    v: string,
    all: string[],
    records: ReleaseRecord[],
    findings: string[],
): Promise<void> {
    const head = await deps.client.headManifest(repo, v);
    if (!head) {
        findings.push(`${repo}: tag ${v} not found`);
        return;
    }
    const want = head.digest;
    // git-<sha7> is immutable like X.Y.Z, so the sha comes from what the release recorded for this
    // digest, or else from the image's own revision label.
    const gitSha = await releasedGitSha(deps, records, repo, want);
    if (gitSha === undefined) {
        findings.push(
            `${repo}: ${v} (${want}) has no git sha (no release record, no ${REVISION} label); cannot check its git-<sha> tag`,
        );
    }
    let expected: string[];
    try {
        // The release rules decide which tags this version owns: X.Y and X only while it is the
        // highest release in their line, no bare "0" for 0.x.
        expected = computeTagSet({
            version: v,
            gitSha: gitSha ?? "0000000",
            onlyIfHighest: { existingTags: all },
        }).tags.filter((t) => t !== v && (gitSha !== undefined || !isGitTag(t)));
    } catch (e) {
        findings.push(`${repo}: ${v} (${want}): ${(e as Error).message}`);
        return;
    }
    const heads = await mapLimit(expected, 16, async (t) => ({
        t,
        h: await deps.client.headManifest(repo, t),
    }));
    for (const { t, h } of heads) {
        if (!h) findings.push(`${repo}: tag ${t} missing (expected ${want}, the digest of ${v})`);
        else if (h.digest !== want)
            findings.push(`${repo}: tag ${t} points at ${h.digest}, but ${v} is ${want}`);
    }
}

/**
 * Findings, not exceptions: the point of `verify` is to list everything wrong at once, so a broken
 * stack file becomes a finding and the other checks still run.
 */
export async function verify(o: VerifyOptions, deps: CliDeps): Promise<VerifyResult> {
    // Else a typo is looked up as a tag and reported as a registry finding ("tag nope not found").
    if (o.version !== undefined && !isSemver(o.version)) {
        throw new UsageRefusal(`--version "${o.version}" is not a semver version (X.Y.Z, e.g. 1.4.2)`);
    }
    const findings: string[] = [];
    const stacks = readStacks(o, findings);
    const signatures = await checkPins(o, stacks, deps, findings);
    const records = releaseRecords(o.repoRoot, findings);
    const repositories = stacks.flatMap((s) => Object.values(s.images).map((i) => i.repository));
    for (const repo of [...new Set(repositories)].sort()) {
        const all = await deps.client.listTags(repo);
        const releases = all.filter((t) => semver.valid(t) === t);
        const versions = o.version ? [o.version.replace(/^v/, "")] : releases.sort(semver.compare);
        for (const v of versions) await checkVersion(deps, repo, v, all, records, findings);
    }
    return { ok: findings.length === 0, findings, signatures };
}
