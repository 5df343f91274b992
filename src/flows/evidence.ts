import type { RegistryClient } from "../registry";
import {
    CheckedOutcome,
    nextVerification,
    REJECTION_PREDICATE,
    RejectionPredicate,
    sameSubject,
    SoakState,
    soakState,
    VERIFICATION_PREDICATE,
    VerificationPredicate,
    VerifiedMember,
} from "../release";
import { attest, readVerifications, SigningKey, statementFor, TrustedKey, trustedKeyOf } from "../signing";
import { StackImageConfig } from "../stackconfig";
import { clusterSelection, KubectlFn } from "./clusterState";
import { Refusal } from "./refusal";

/** What a check run signed about its pins. */
export interface RecordedEvidence {
    predicateType: string;
    predicate: VerificationPredicate;
    /** The verifier key that signed it. */
    keyId: string;
    /** Each pin's `.att`, where the statement was written. */
    attestations: string[];
    /** A passed run's soak: over, or how long is left. */
    soak?: SoakState;
}

/** The cluster a stack's checks judged: its kube-system namespace's UID, which outlives every deploy. */
export async function clusterUid(s: StackImageConfig, kubectl: KubectlFn): Promise<string> {
    const uid = (
        await kubectl([
            "get",
            "namespace",
            "kube-system",
            "--output",
            "jsonpath={.metadata.uid}",
            ...clusterSelection(s),
        ])
    ).trim();
    if (!/^[0-9a-f-]{36}$/.test(uid)) {
        throw new Refusal(`cannot identify the cluster: kube-system's UID reads "${uid.slice(0, 80)}"`);
    }
    return uid;
}

/** The verifier key as the reader of its own earlier statements trusts it. */
export function asTrusted(key: SigningKey): TrustedKey {
    return trustedKeyOf(key, "IMAGE_RELEASE_VERIFIER_KEY");
}

/** Whether `key` signed a passing run of `stack`'s checks about `pin` (in any combination). */
export async function passedIn(
    client: RegistryClient,
    key: SigningKey,
    stack: string,
    pin: { repository: string; digest: string },
): Promise<boolean> {
    const evidence = await readVerifications(client, pin.repository, pin.digest, [asTrusted(key)]);
    return evidence.some((e) => e.predicate.stack === stack && e.predicate.result === "passed");
}

export interface EvidenceInput {
    stack: StackImageConfig;
    pins: { image: string; repository: string; digest: string }[];
    ok: boolean;
    checks: CheckedOutcome[];
}

/**
 * Signs what a check run saw about the stack's combination into each pin's `.att`, replacing this key's
 * earlier statement about the same stack, cluster and combination: a pass continues the soak window of
 * the previous pass (its first passing time stays), a failure ends it.
 */
export async function recordVerification(
    input: EvidenceInput,
    deps: { client: RegistryClient; key: SigningKey; kubectl: KubectlFn; now: () => number },
): Promise<RecordedEvidence> {
    const { stack, pins } = input;
    const cluster = await clusterUid(stack, deps.kubectl);
    const members: Record<string, VerifiedMember> = Object.fromEntries(
        pins.map((p) => [p.image, { repository: p.repository, digest: p.digest }]),
    );
    const run = {
        stack: stack.stack,
        cluster,
        members,
        result: input.ok ? ("passed" as const) : ("failed" as const),
        checks: input.checks,
        soakSeconds: stack.checks?.soakSeconds ?? 0,
    };
    const first = pins[0];
    const earlier = (
        await readVerifications(deps.client, first.repository, first.digest, [asTrusted(deps.key)])
    ).filter((s) => sameSubject(s.predicate, run));
    const now = new Date(deps.now());
    const predicate = nextVerification(run, now, earlier.at(-1)?.predicate);
    const attestations: string[] = [];
    for (const p of pins) {
        const statement = statementFor(p.repository, p.digest, VERIFICATION_PREDICATE, predicate);
        const written = await attest(
            deps.client,
            p.repository,
            p.digest,
            deps.key,
            statement,
            (old) =>
                old.predicateType === VERIFICATION_PREDICATE &&
                sameSubject(old.predicate as VerificationPredicate, predicate),
        );
        attestations.push(written.ref);
    }
    return {
        predicateType: VERIFICATION_PREDICATE,
        predicate,
        keyId: deps.key.id,
        attestations,
        ...(predicate.result === "passed" ? { soak: soakState(predicate, now) } : {}),
    };
}

/** Signs a rejection (or its lift) of `digest` into its `.att` in `repository`. */
export async function signRejection(
    client: RegistryClient,
    key: SigningKey,
    repository: string,
    predicate: RejectionPredicate,
): Promise<string> {
    const statement = statementFor(repository, predicate.digest, REJECTION_PREDICATE, predicate);
    return (await attest(client, repository, predicate.digest, key, statement)).ref;
}
