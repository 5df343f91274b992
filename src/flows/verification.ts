import type { RegistryClient } from "../registry";
import {
    code,
    combinationKey,
    humanSeconds,
    Markdown,
    md,
    redactCredentials,
    rejectionSummary,
    Signed,
    soakState,
    soakSummary,
    standingRejection,
    VerificationPredicate,
} from "../release";
import { readPublicKeys, readRejections, readVerifications, TrustedKey } from "../signing";
import { StackHistoryEntry, StackImageConfig } from "../stackconfig";
import { Refusal } from "./refusal";

/** A digest the gate judges, where it was found (the repository its `.att` is read from). */
export interface GateMember {
    image: string;
    repository: string;
    digest: string;
}

export interface GateOptions {
    /** The stack that takes the digests; its verifierKeys and requireVerification decide. */
    target: StackImageConfig;
    /** Where target's key paths are relative to. */
    root: string;
    /** The stack whose passing checks count: the target's promoteFrom. */
    from: string;
    /** The digests that need evidence (any member of the evidence at that digest counts, unless `combination`). */
    members: GateMember[];
    /** A whole set's promotion: the exact combination (name -> digest) the evidence must be about. */
    combination?: Record<string, string>;
    /** Digests the target ran before (its own history): no evidence needed, a rejection still counts. */
    exempt?: GateMember[];
    /** The refusal's last words: what was refused, e.g. `promote it to "prod"`. */
    action: string;
}

/** The stack's trusted verifier keys (none: rejections cannot be read, evidence cannot count). */
export function verifierKeys(target: StackImageConfig, root: string): TrustedKey[] {
    return readPublicKeys(target.verifierKeys ?? [], root);
}

function ref(m: GateMember): string {
    return `${redactCredentials(m.repository)}@${m.digest}`;
}

/** Refuses a digest a trusted verifier key rejected (and did not lift since). */
export async function refuseRejected(
    client: RegistryClient,
    keys: TrustedKey[],
    members: GateMember[],
    action: string,
): Promise<void> {
    for (const m of members) {
        const standing = standingRejection(await readRejections(client, m.repository, m.digest, keys));
        if (standing !== undefined) throw new Refusal(`${rejectionSummary(standing)}; refusing to ${action}`);
    }
}

/** The latest passing statement about the member, from `from`, about the combination the gate needs. */
function bestEvidence(
    all: Signed<VerificationPredicate>[],
    from: string,
    m: GateMember,
    combination: Record<string, string> | undefined,
): { passed?: Signed<VerificationPredicate>; failed?: Signed<VerificationPredicate> } {
    const want = combination
        ? combinationKey(
              Object.fromEntries(
                  Object.entries(combination).map(([n, d]) => [n, { repository: "", digest: d }]),
              ),
          )
        : undefined;
    const about = all.filter(
        (s) =>
            s.predicate.stack === from &&
            Object.values(s.predicate.members).some((x) => x.digest === m.digest) &&
            (want === undefined || combinationKey(s.predicate.members) === want),
    );
    const latest = (
        list: Signed<VerificationPredicate>[],
        at: (p: VerificationPredicate) => string | undefined,
    ) =>
        list.reduce<Signed<VerificationPredicate> | undefined>(
            (best, s) =>
                best === undefined || (at(s.predicate) ?? "") > (at(best.predicate) ?? "") ? s : best,
            undefined,
        );
    return {
        passed: latest(
            about.filter((s) => s.predicate.result === "passed"),
            (p) => p.lastPassed,
        ),
        failed: latest(
            about.filter((s) => s.predicate.result === "failed"),
            (p) => p.failedAt,
        ),
    };
}

/** The PR's evidence line for a member's verification. */
function evidenceLine(m: GateMember, e: Signed<VerificationPredicate>, soak: string): Markdown {
    const p = e.predicate;
    const checks = p.checks.map((c) => c.check).join(", ");
    return md`${code(m.image)} verified in ${code(p.stack)} (cluster ${p.cluster}) by verifier key ${e.keyId}: ${checks} passed from ${p.firstPassed ?? ""} to ${p.lastPassed ?? ""}, ${soak}`;
}

/**
 * The verification gate of promote and of a stack's preview: no member is rejected by a trusted verifier
 * key, and, where the target requires verification, each member (not exempt) has passing evidence from
 * `from` (about the exact combination, for a whole set) whose soak is over. Each refusal names the
 * digest, the stack and what is missing; a soak not over says how long is left.
 */
export async function verificationGate(
    g: GateOptions,
    deps: { client: RegistryClient; now?: () => Date },
): Promise<Markdown[]> {
    const keys = verifierKeys(g.target, g.root);
    await refuseRejected(deps.client, keys, [...g.members, ...(g.exempt ?? [])], g.action);
    if (g.target.requireVerification !== true || g.members.length === 0) return [];
    if (keys.length === 0) {
        throw new Refusal(
            `stack "${g.target.stack}" requires verified digests (image-release:requireVerification, on by default for prod) but names no verifier key: set image-release:verifierKeys to the public key(s) that sign "${g.from}"'s check evidence, or set image-release:requireVerification: "false"; refusing ${g.members.map(ref).join(", ")}`,
        );
    }
    const now = (deps.now ?? (() => new Date()))();
    const lines: Markdown[] = [];
    for (const m of g.members) {
        const found = bestEvidence(
            await readVerifications(deps.client, m.repository, m.digest, keys),
            g.from,
            m,
            g.combination,
        );
        const what = g.combination
            ? `the set's combination (image "${m.image}" ${m.digest})`
            : `digest ${m.digest}`;
        if (found.passed === undefined) {
            const failed = found.failed
                ? `; its last check failed at ${found.failed.predicate.failedAt}`
                : "";
            throw new Refusal(
                `${what} has no passing verification from stack "${g.from}" signed by a trusted verifier key (${keys.map((k) => `${k.id} (${k.source})`).join(", ")})${failed}: run \`image-release check --stack ${g.from}\` with IMAGE_RELEASE_VERIFIER_KEY after its \`pulumi up\`; refusing to ${g.action}`,
            );
        }
        const soak = soakState(found.passed.predicate, now);
        if (!soak.over) throw new Refusal(`${what}: ${soakSummary(soak, g.from)}; refusing to ${g.action}`);
        lines.push(evidenceLine(m, found.passed, `soaked ${humanSeconds(soak.soakedSeconds)}`));
    }
    return lines;
}

/** Every digest an entry pins, with the repository it was pinned from. */
export function entryPins(e: StackHistoryEntry, fallback: string): GateMember[] {
    const images = e.images ?? { "": e };
    return Object.entries(images)
        .filter(([, i]) => i.digest !== undefined)
        .map(([image, i]) => ({ image, repository: i.repository ?? fallback, digest: i.digest as string }));
}

/**
 * The history without the revisions that pin a rejected digest, so that rollback never picks one as
 * "the previous good one". Without verifier keys no rejection can be read, and nothing is left out.
 */
export async function withoutRejected(
    stack: StackImageConfig,
    root: string,
    entries: StackHistoryEntry[],
    client: RegistryClient,
): Promise<StackHistoryEntry[]> {
    const keys = verifierKeys(stack, root);
    if (keys.length === 0) return entries;
    const rejected = new Map<string, boolean>();
    const isRejected = async (m: GateMember) => {
        if (!rejected.has(m.digest)) {
            const standing = standingRejection(await readRejections(client, m.repository, m.digest, keys));
            rejected.set(m.digest, standing !== undefined);
        }
        return rejected.get(m.digest) === true;
    };
    const out: StackHistoryEntry[] = [];
    for (const e of entries) {
        let bad = false;
        for (const m of entryPins(e, stack.repository)) bad = bad || (await isRejected(m));
        if (!bad) out.push(e);
    }
    return out;
}
