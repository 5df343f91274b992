import * as path from "path";
import { CopyResult } from "../registry";
import { code, isDigest, Markdown, md, ReleaseRecord } from "../release";
import { distinctDigests, stackFileHistory, StackFileSnapshot, StackImageConfig } from "../stackconfig";
import { CliDeps, digestPrefix } from "./context";
import { Refusal } from "./refusal";
import { applyPin, PinChange, PinDeps, PinOptions, PinResult } from "./pin";
import { checkPin, signedEvidence, stackPinCheck, VerifiedPin } from "./pinCheck";
import { loadStack, loadStackSnapshot, outputsFile, readSetOutputs } from "./stack";
import { promoteSet } from "./promoteSet";
import { MovedImage, movedImages, SetPinResult } from "./setPin";
import { memberNames } from "./setMembers";
import { verificationGate } from "./verification";
import {
    readSourceRecord,
    readSourceReleases,
    recordedEvidence,
    SourceRecord,
    StackOutputFn,
} from "./stackOutputs";

export interface PromoteOptions extends PinOptions {
    from: string;
    to: string;
    /** Move this image of a set alone; without it a set moves as one unit. */
    image?: string;
}

export interface PromoteDeps extends PinDeps {
    /** Reads the source stack's `release` output. Default: the Pulumi CLI (./stackOutputs). */
    stackOutputs?: StackOutputFn;
}

export interface PromoteResult extends PinResult {
    from: string;
    to: string;
    digest: string;
    version?: string;
    platforms: string[];
    previousDigest?: string;
    /** A set's promotion: each image that moved (the single-image fields hold the first). */
    images?: MovedImage[];
    /** A set's promotion: the copy of each image that came from another repository. */
    copies?: CopyResult[];
    /** A set's --retag: each image's channel tag as it moved, and where it pointed before. */
    retaggedImages?: SetPinResult["retaggedImages"];
}

/** What shows that a digest really ran in the source stack. */
export interface RanEvidence {
    /** Digests pinned in committed versions of the source stack file (git history, HEAD included). */
    committed: string[];
    /** The digest of the source's `release` record: its stack output, else `.image-release/outputs/<source>.json`. */
    recorded?: string;
    /** The digest pinned in the source file as it is on disk, which may not be committed. */
    onDisk?: string;
    /** The source stack file, relative to the repo root, for the message. */
    sourceFile: string;
}

/**
 * The promotion path: a target takes only a digest its source stack runs now or ran before. A pin
 * that exists only in the working tree was never reviewed or deployed, so it does not count: else
 * `promote dev→staging` then `promote staging→prod` would put an unreviewed digest into prod.
 */
export function checkRanInSource(digest: string, from: string, to: string, ev: RanEvidence): void {
    if (ev.recorded === digest || ev.committed.includes(digest)) return;
    const never = `digest ${digest} never ran in stack "${from}" (not in its committed history or recorded outputs)`;
    if (ev.onDisk === digest) {
        throw new Refusal(
            `${never}: it is pinned only in the uncommitted ${ev.sourceFile}; commit or merge the promotion to "${from}" first, then promote it to "${to}"`,
        );
    }
    throw new Refusal(`${never}; refusing to promote it to "${to}"`);
}

/** The two stacks of a promotion, once the target's promotion path allows it. */
interface Promotion {
    source: StackImageConfig;
    target: StackImageConfig;
    /** The target's text, read once: the final write is checked against these same bytes. */
    snapshot: StackFileSnapshot;
    /** The source's recorded `release` output, if any. */
    recorded?: ReleaseRecord;
    /** Where `recorded` was read. */
    recordedFrom?: SourceRecord["from"];
    /** A set source's `releases` output, when its file pins none of them (dev builds). */
    recordedSet?: Record<string, ReleaseRecord>;
    recordedSetFrom?: SourceRecord["from"];
}

async function loadPromotion(o: PromoteOptions, deps: PromoteDeps): Promise<Promotion> {
    if (o.from === o.to) throw new Refusal(`cannot promote stack "${o.to}" to itself`);
    const source = loadStack(o, o.from);
    const { config: target, snapshot } = loadStackSnapshot(o, o.to);
    if (target.promoteFrom === undefined) {
        throw new Refusal(`stack "${o.to}" takes no promotions (it has no image-release:promoteFrom)`);
    }
    if (target.promoteFrom !== o.from) {
        throw new Refusal(
            `stack "${o.to}" accepts promotions only from "${target.promoteFrom}" (image-release:promoteFrom); refusing to promote from "${o.from}"`,
        );
    }
    const read = await readSourceRecord(o.repoRoot, o.from, deps.stackOutputs);
    // A set that builds (dev) pins nothing in its file: its last `up` exported what ran together.
    const builds = source.form === "set" && Object.values(source.images).some((i) => i.digest === undefined);
    const output = builds ? await readSourceReleases(o.repoRoot, o.from, deps.stackOutputs) : undefined;
    // No backend holds the output: the set's records from `image-release release --stack <from>`.
    const file = builds && output === undefined ? readSetOutputs(o.repoRoot, o.from) : undefined;
    const set = output ?? file;
    return {
        source,
        target,
        snapshot,
        ...(read ? { recorded: read.record, recordedFrom: read.from } : {}),
        ...(set ? { recordedSet: set, recordedSetFrom: output ? "stack output" : "outputs file" } : {}),
    };
}

/** The source's pin: its stack file's, else what its last run recorded. */
interface SourcePin {
    digest: string;
    version?: string;
    gitSha?: string;
    /** A digest is only meaningful with its repository: the one the source pulls it from. */
    repository: string;
}

function sourcePin(o: PromoteOptions, p: Promotion): SourcePin {
    const { source, recorded } = p;
    const from = source.digest ? source : recorded;
    if (from?.digest === undefined) {
        throw new Refusal(
            `stack "${o.from}" has no image-release:digest and no ${outputsFile(o.repoRoot, o.from)}; run \`image-release release\` first`,
        );
    }
    const { digest, version, gitSha, repository } = from;
    if (!isDigest(digest))
        throw new Refusal(`source digest "${digest}" of stack "${o.from}" is not sha256:<64 hex>`);
    if (digest === p.target.digest) {
        throw new Refusal(`stack "${o.to}" already runs ${digest}; nothing to promote`);
    }
    return { digest, version, gitSha, repository };
}

/** Refuses a digest the source never ran (committed or recorded); says which proof counts, for the PR. */
function ranEvidence(o: PromoteOptions, p: Promotion, digest: string): Markdown {
    const { source, recorded } = p;
    const sourceFile = path.relative(o.repoRoot, source.file);
    // The history costs a `git show` per commit: not needed when the recorded outputs prove the digest.
    const committed =
        recorded?.digest === digest
            ? []
            : distinctDigests(stackFileHistory(o.repoRoot, source.file)).map((e) => e.digest as string);
    checkRanInSource(digest, o.from, o.to, {
        committed,
        ...(recorded ? { recorded: recorded.digest } : {}),
        ...(source.digest ? { onDisk: source.digest } : {}),
        sourceFile,
    });
    if (recorded?.digest !== digest)
        return md`${code(o.from)} pinned it in a committed version of ${sourceFile}`;
    return recordedEvidence(o, recorded, p.recordedFrom);
}

/**
 * The target's pin check, where the source has the bytes: its repository, or (its own pin merged but not
 * yet `pulumi up`) still the repository that pin came from.
 */
async function checkForTarget(
    o: PromoteOptions,
    p: Promotion,
    pin: SourcePin,
    deps: CliDeps,
): Promise<VerifiedPin> {
    const candidates =
        p.source.digest === pin.digest && p.source.sourceRepository !== undefined
            ? [pin.repository, p.source.sourceRepository]
            : [pin.repository];
    return checkPin(stackPinCheck(p.target, pin.digest, o.repoRoot, candidates), deps);
}

/** What promote writes: the target's pin, copied from wherever the source's bytes are. */
function promotionPin(
    o: PromoteOptions,
    p: Promotion,
    pin: SourcePin,
    held: VerifiedPin,
    ran: Markdown,
    verified: Markdown[],
): PinChange {
    const { target, snapshot } = p;
    return {
        stack: target,
        snapshot,
        digest: pin.digest,
        version: pin.version,
        gitSha: pin.gitSha,
        promotedFrom: o.from,
        sourceRepository: held.repository === target.repository ? undefined : held.repository,
        platforms: target.platforms,
        previousDigest: target.digest,
        kind: "promote",
        verified: held.description,
        evidence: [ran, ...(held.signature ? [signedEvidence(held.signature)] : []), ...verified],
        from: o.from,
    };
}

/** A set's promotion, reported with the single-image fields holding its first moved image. */
async function promoteMembers(o: PromoteOptions, p: Promotion, deps: PromoteDeps): Promise<PromoteResult> {
    const { result, members } = await promoteSet(o, p, deps);
    const first = members[0];
    return {
        ...result,
        from: o.from,
        to: o.to,
        digest: first.digest,
        version: first.version,
        platforms: first.platforms,
        previousDigest: first.previousDigest,
        images: movedImages(members),
    };
}

export async function promote(o: PromoteOptions, deps: PromoteDeps): Promise<PromoteResult> {
    const p = await loadPromotion(o, deps);
    if (p.source.form === "set" || p.target.form === "set") return promoteMembers(o, p, deps);
    if (o.image !== undefined) memberNames([p.source, p.target], o.image);
    const pin = sourcePin(o, p);
    const ran = ranEvidence(o, p, pin.digest);
    const held = await checkForTarget(o, p, pin, deps);
    const image = Object.keys(p.target.images)[0];
    const verified = await verificationGate(
        {
            target: p.target,
            root: o.repoRoot,
            from: o.from,
            members: [{ image, repository: held.repository, digest: pin.digest }],
            action: `promote it to "${o.to}"`,
        },
        deps,
    );
    const title = `Promote ${p.target.repository.split("/").pop()} ${pin.version ?? digestPrefix(pin.digest)} from ${o.from} to ${o.to}`;
    const r = await applyPin(o, promotionPin(o, p, pin, held, ran, verified), deps, title);
    return {
        ...r,
        from: o.from,
        to: o.to,
        digest: pin.digest,
        version: pin.version,
        platforms: p.target.platforms,
        previousDigest: p.target.digest,
    };
}
