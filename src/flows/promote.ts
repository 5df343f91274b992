import * as path from "path";
import { verifyFirstHolder } from "../registry";
import { isDigest } from "../release";
import {
    CliDeps,
    digestPrefix,
    loadStack,
    loadStackSnapshot,
    outputsFile,
    readOutputs,
    signatureFor,
    signedEvidence,
} from "./context";
import { Refusal } from "./refusal";
import { distinctDigests, stackFileHistory } from "./gitHistory";
import { applyPin, PinOptions, PinResult } from "./pin";

export interface PromoteOptions extends PinOptions {
    from: string;
    to: string;
}

export interface PromoteResult extends PinResult {
    from: string;
    to: string;
    digest: string;
    version?: string;
    platforms: string[];
    previousDigest?: string;
}

/** What shows that a digest really ran in the source stack. */
export interface RanEvidence {
    /** Digests pinned in committed versions of the source stack file (git history, HEAD included). */
    committed: string[];
    /** The digest in `.image-release/outputs/<source>.json`: what the stack's last run exported. */
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

export async function promote(o: PromoteOptions, deps: CliDeps): Promise<PromoteResult> {
    if (o.from === o.to) throw new Refusal(`cannot promote stack "${o.to}" to itself`);
    const source = loadStack(o, o.from);
    // The target's text is read once: its config and the hash the final write is checked against
    // come from the same bytes, however long the registry checks below take.
    const { config: target, snapshot } = loadStackSnapshot(o, o.to);
    if (target.promoteFrom === undefined) {
        throw new Refusal(`stack "${o.to}" takes no promotions (it has no image-release:promoteFrom)`);
    }
    if (target.promoteFrom !== o.from) {
        throw new Refusal(
            `stack "${o.to}" accepts promotions only from "${target.promoteFrom}" (image-release:promoteFrom); refusing to promote from "${o.from}"`,
        );
    }
    const recorded = readOutputs(o.repoRoot, o.from);
    let digest = source.digest;
    let version = source.version;
    let gitSha = source.gitSha;
    // A digest is only meaningful with its repository: when the source's image lives elsewhere, it is
    // copied (by digest, byte-exact) into the target's repository before the pin is written.
    let repository = source.repository;
    if (!digest) {
        if (!recorded) {
            throw new Refusal(
                `stack "${o.from}" has no image-release:digest and no ${outputsFile(o.repoRoot, o.from)}; run \`image-release release\` first`,
            );
        }
        ({ digest, version, gitSha, repository } = recorded);
    }
    if (!isDigest(digest))
        throw new Refusal(`source digest "${digest}" of stack "${o.from}" is not sha256:<64 hex>`);
    if (digest === target.digest) {
        throw new Refusal(`stack "${o.to}" already runs ${digest}; nothing to promote`);
    }
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
    // The source stack's own pin may not be copied into its repository yet (merged, not yet `pulumi up`):
    // then its bytes are still where that pin came from.
    const candidates =
        source.digest === digest && source.sourceRepository !== undefined
            ? [repository, source.sourceRepository]
            : [repository];
    const held = await verifyFirstHolder(
        deps.client,
        candidates.map((r) => `${r}@${digest}`),
        target.platforms,
    );
    const origin = candidates[held.index];
    const verified = held.description;
    const signed = await signatureFor(deps, target, o.repoRoot, origin, digest);
    const evidence =
        recorded?.digest === digest
            ? [
                  `\`${o.from}\` exported it as its \`release\` stack output (${path.relative(o.repoRoot, outputsFile(o.repoRoot, o.from))}: version ${recorded.version}, built in \`${recorded.sourceStack}\`)`,
              ]
            : [`\`${o.from}\` pinned it in a committed version of ${sourceFile}`];
    if (signed) evidence.push(signedEvidence(signed));
    const r = await applyPin(
        o,
        {
            stack: target,
            snapshot,
            digest,
            version,
            gitSha,
            promotedFrom: o.from,
            sourceRepository: origin === target.repository ? undefined : origin,
            platforms: target.platforms,
            previousDigest: target.digest,
            kind: "promote",
            verified,
            evidence,
            from: o.from,
        },
        deps,
        `Promote ${target.repository.split("/").pop()} ${version ?? digestPrefix(digest)} from ${o.from} to ${o.to}`,
    );
    return {
        ...r,
        from: o.from,
        to: o.to,
        digest,
        version,
        platforms: target.platforms,
        previousDigest: target.digest,
    };
}
