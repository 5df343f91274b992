import type { RegistryClient } from "../registry";
import {
    combinationKey,
    humanSeconds,
    Signed,
    soakEndsAt,
    soakState,
    VerificationPredicate,
    VerifiedMember,
} from "../release";
import { readVerifications, TrustedKey } from "../signing";
import { GateMember } from "./verification";

/** Whether a source stack's pins may be proposed for the next stack: ready, or why not yet. */
export interface Readiness {
    outcome: "ready" | "waiting" | "not verified";
    reason: string;
}

/** `sha256:…` for one image; `api sha256:…, worker sha256:…` for a set. */
export function pinsNamed(pins: GateMember[]): string {
    return pins.length === 1 ? pins[0].digest : pins.map((p) => `${p.image} ${p.digest}`).join(", ");
}

function latest(
    list: Signed<VerificationPredicate>[],
    at: (p: VerificationPredicate) => string | undefined,
): Signed<VerificationPredicate> | undefined {
    return list.reduce<Signed<VerificationPredicate> | undefined>(
        (best, s) => (best === undefined || (at(s.predicate) ?? "") > (at(best.predicate) ?? "") ? s : best),
        undefined,
    );
}

/**
 * Whether `source`'s signed check evidence shows that exactly `pins` (the whole combination, for a set)
 * passed there and soaked: the newest passing statement by a trusted key about that stack and
 * combination, unless a failure came after it. A soak not over is `waiting`, with the time it ends;
 * a soak whose time has passed but that no check closed yet waits for the next `check`.
 */
export async function sourceReadiness(
    source: string,
    pins: GateMember[],
    keys: TrustedKey[],
    deps: { client: RegistryClient; now: Date },
): Promise<Readiness> {
    const members: Record<string, VerifiedMember> = Object.fromEntries(
        pins.map((p) => [p.image, { repository: p.repository, digest: p.digest }]),
    );
    const want = combinationKey(members);
    const first = pins[0];
    const about = (await readVerifications(deps.client, first.repository, first.digest, keys)).filter(
        (s) => s.predicate.stack === source && combinationKey(s.predicate.members) === want,
    );
    const passed = latest(
        about.filter((s) => s.predicate.result === "passed"),
        (p) => p.lastPassed,
    );
    const failed = latest(
        about.filter((s) => s.predicate.result === "failed"),
        (p) => p.failedAt,
    );
    const signers = keys.map((k) => k.id).join(", ");
    if (passed === undefined) {
        const last = failed ? `; its last check failed at ${failed.predicate.failedAt}` : "";
        return {
            outcome: "not verified",
            reason: `no passing evidence for ${pinsNamed(pins)} from ${source} signed by ${signers}${last}`,
        };
    }
    if (failed !== undefined && (failed.predicate.failedAt ?? "") > (passed.predicate.lastPassed ?? "")) {
        return {
            outcome: "not verified",
            reason: `${pinsNamed(pins)} failed its check in ${source} at ${failed.predicate.failedAt}, after it passed`,
        };
    }
    const soak = soakState(passed.predicate, deps.now);
    const ends = soakEndsAt(passed.predicate);
    const of = `${humanSeconds(soak.soakedSeconds)} of ${humanSeconds(soak.requiredSeconds)}`;
    if (soak.over) {
        return { outcome: "ready", reason: `passed in ${source} and soaked ${of} (key ${passed.keyId})` };
    }
    if (soak.leftSeconds > 0) {
        return { outcome: "waiting", reason: `soak in ${source} ends at ${ends} (${of} passed)` };
    }
    return {
        outcome: "waiting",
        reason: `soak in ${source} ended at ${ends} but no check recorded it (${of}): run \`image-release check --stack ${source}\``,
    };
}
