import * as path from "path";
import { code, isDigest, Markdown, md, ReleaseRecord, sameRepository } from "../release";
import { stackFileHistory, StackFileSnapshot, StackImageConfig } from "../stackconfig";
import { Refusal } from "./refusal";
import { PinDeps, PinOptions } from "./pin";
import { checkPin, signedEvidence } from "./pinCheck";
import { applySetPin, MemberPin, SetPinResult } from "./setPin";
import { Combination, describeCombination, memberNames, revisionDigest, sameMembers } from "./setMembers";
import { mapLimit } from "./limit";
import { recordedEvidence, recordedSetEvidence } from "./stackOutputs";
import { verificationGate } from "./verification";

/** What the set path of promote is handed once the promotion path allows it. */
export interface SetPromotion {
    source: StackImageConfig;
    target: StackImageConfig;
    snapshot: StackFileSnapshot;
    recorded?: ReleaseRecord;
    /** Where `recorded` was read: the stack's own output, or the outputs file. */
    recordedFrom?: "stack output" | "outputs file";
    /** A set source's `releases` output: what its last `pulumi up` ran (dev builds, so its file pins none). */
    recordedSet?: Record<string, ReleaseRecord>;
    /** Where `recordedSet` was read: the stack's `releases` output, or the set's outputs file. */
    recordedSetFrom?: "stack output" | "outputs file";
}

export interface SetPromoteOptions extends PinOptions {
    from: string;
    to: string;
    image?: string;
}

export interface SetMove {
    result: SetPinResult;
    members: MemberPin[];
    title: string;
}

/** The source's digest of each image the promotion covers. */
function sourceCombination(o: SetPromoteOptions, p: SetPromotion, names: string[]): Combination {
    const combination: Combination = {};
    for (const name of names) {
        const digest = p.source.images[name].digest ?? p.recordedSet?.[name]?.digest;
        if (digest === undefined) {
            throw new Refusal(
                `stack "${o.from}" pins no digest for image "${name}" and exported none (run \`pulumi up --stack ${o.from}\` first); nothing to promote`,
            );
        }
        if (!isDigest(digest))
            throw new Refusal(`source digest "${digest}" of stack "${o.from}" is not sha256:<64 hex>`);
        combination[name] = digest;
    }
    return combination;
}

/**
 * The promotion path for a combination: the images must have run together in the source, pinned side by
 * side in one committed version of its stack file (or, one image alone, be its recorded `release`).
 */
function combinationRan(o: SetPromoteOptions, p: SetPromotion, combination: Combination): Markdown {
    const names = Object.keys(combination);
    const sourceFile = path.relative(o.repoRoot, p.source.file);
    if (p.recordedSet !== undefined && names.every((n) => p.recordedSet?.[n]?.digest === combination[n])) {
        return recordedSetEvidence(o, names, p.recordedSetFrom);
    }
    if (names.length === 1 && p.recorded?.digest === combination[names[0]]) {
        return recordedEvidence(o, p.recorded, p.recordedFrom);
    }
    const single = Object.keys(p.source.images)[0];
    const ran = stackFileHistory(o.repoRoot, p.source.file).find((e) =>
        names.every((n) => revisionDigest(e, n, single) === combination[n]),
    );
    if (ran !== undefined) {
        const what = names.length === 1 ? "it" : "this combination";
        return md`${code(o.from)} ran ${what}: commit ${ran.shortCommit} pinned it in ${sourceFile}`;
    }
    if (names.length === 1) {
        throw new Refusal(
            `image "${names[0]}" digest ${combination[names[0]]} never ran in stack "${o.from}" (not in a committed version of ${sourceFile} or its recorded outputs); refusing to promote it to "${o.to}"`,
        );
    }
    throw new Refusal(
        `images ${describeCombination(combination)} never ran together in stack "${o.from}" (no committed version of ${sourceFile} pins this combination); refusing to promote the set to "${o.to}"`,
    );
}

/** How many images of a set are checked in the registry at once. */
const CHECK_CONCURRENCY = 8;

/**
 * Each image verified for the target's own repository, platforms and signature rule, before any write.
 * The checks run side by side; when some fail, the first in name order is the refusal, whatever order
 * the registry answered in.
 */
async function verifyMembers(
    o: SetPromoteOptions,
    p: SetPromotion,
    moving: string[],
    combination: Combination,
    deps: PinDeps,
): Promise<MemberPin[]> {
    const one = async (name: string): Promise<MemberPin> => {
        const record = p.recordedSet?.[name];
        const own = p.source.images[name];
        // A built image's version and sha are its record's: the stack file holds only its build.
        const from = own.digest === undefined && record !== undefined ? { ...own, ...record } : own;
        const to = p.target.images[name];
        const digest = combination[name];
        const repositories = [from.repository, ...(from.sourceRepository ? [from.sourceRepository] : [])];
        const signature = { policy: p.target, root: o.repoRoot };
        const held = await checkPin({ digest, repositories, platforms: to.platforms, signature }, deps);
        return {
            name,
            repository: to.repository,
            digest,
            version: from.version,
            gitSha: from.gitSha,
            promotedFrom: o.from,
            sourceRepository: sameRepository(held.repository, to.repository) ? undefined : held.repository,
            platforms: to.platforms,
            previousDigest: to.digest,
            verified: held.description,
            evidence: held.signature ? [signedEvidence(held.signature)] : [],
        };
    };
    const settled = await mapLimit(moving, CHECK_CONCURRENCY, (name) =>
        one(name).then(
            (member) => ({ member }),
            (error: unknown) => ({ error }),
        ),
    );
    const failed = settled.find((r) => "error" in r);
    if (failed !== undefined && "error" in failed) throw failed.error;
    return settled.map((r) => (r as { member: MemberPin }).member);
}

/**
 * Promote between stacks that pin a set: every image whose digest differs (or `--image` alone), as one
 * edit, one commit and one PR, once the combination is shown to have run in the source and each image
 * passed the pin check.
 */
export async function promoteSet(o: SetPromoteOptions, p: SetPromotion, deps: PinDeps): Promise<SetMove> {
    if (o.image === undefined) sameMembers(p.source, p.target);
    const names = memberNames([p.source, p.target], o.image);
    const combination = sourceCombination(o, p, names);
    const moving = names.filter((n) => p.target.images[n].digest !== combination[n]);
    if (moving.length === 0) {
        throw new Refusal(
            `stack "${o.to}" already runs ${describeCombination(combination)}; nothing to promote`,
        );
    }
    const ran = combinationRan(o, p, combination);
    const members = await verifyMembers(o, p, moving, combination, deps);
    const verified = await verificationGate(
        {
            target: p.target,
            root: o.repoRoot,
            from: o.from,
            members: members.map((m) => ({
                image: m.name,
                repository: m.sourceRepository ?? m.repository,
                digest: m.digest,
            })),
            // The whole set: the evidence must be about this exact combination, not its parts apart.
            ...(o.image === undefined ? { combination } : {}),
            action: o.image === undefined ? `promote the set to "${o.to}"` : `promote it to "${o.to}"`,
        },
        deps,
    );
    const what = members.map((m) => `${m.name} ${m.version ?? m.digest.slice(7, 19)}`).join(", ");
    const title = `Promote ${what} from ${o.from} to ${o.to}`;
    const change = { stack: p.target, snapshot: p.snapshot, kind: "promote" as const, members, from: o.from };
    const result = await applySetPin(o, { ...change, evidence: [ran, ...verified] }, deps, title);
    return { result, members, title };
}
