import type { RegistryClient } from "../registry";
import {
    REJECTION_PREDICATE,
    RejectionPredicate,
    Signed,
    VERIFICATION_PREDICATE,
    VerificationPredicate,
} from "../release";
import { TrustedKey } from "./keys";
import { signedStatements } from "./statements";

function isMap(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A predicate's shape, checked field by field: a signed statement of another shape is not evidence. */
function verificationShape(p: unknown): p is VerificationPredicate {
    if (!isMap(p) || !isMap(p.members) || !Array.isArray(p.checks)) return false;
    const members = Object.values(p.members);
    return (
        typeof p.stack === "string" &&
        typeof p.cluster === "string" &&
        (p.result === "passed" || p.result === "failed") &&
        typeof p.soakSeconds === "number" &&
        members.every((m) => isMap(m) && typeof m.repository === "string" && typeof m.digest === "string") &&
        (p.result === "failed" || (typeof p.firstPassed === "string" && typeof p.lastPassed === "string"))
    );
}

function rejectionShape(p: unknown): p is RejectionPredicate {
    return (
        isMap(p) &&
        typeof p.digest === "string" &&
        typeof p.lifted === "boolean" &&
        typeof p.reason === "string" &&
        typeof p.at === "string" &&
        !Number.isNaN(Date.parse(p.at)) &&
        (p.by === "check" || p.by === "user")
    );
}

/** The verification evidence about `digest` that trusted verifier keys signed. */
export async function readVerifications(
    client: RegistryClient,
    repository: string,
    digest: string,
    keys: TrustedKey[],
): Promise<Signed<VerificationPredicate>[]> {
    const all = await signedStatements(client, repository, digest, keys, VERIFICATION_PREDICATE);
    return all.filter((s): s is Signed<VerificationPredicate> => verificationShape(s.predicate));
}

/** The rejections and lifts of `digest` that trusted verifier keys signed, in layer order. */
export async function readRejections(
    client: RegistryClient,
    repository: string,
    digest: string,
    keys: TrustedKey[],
): Promise<Signed<RejectionPredicate>[]> {
    const all = await signedStatements(client, repository, digest, keys, REJECTION_PREDICATE);
    return all.filter(
        (s): s is Signed<RejectionPredicate> => rejectionShape(s.predicate) && s.predicate.digest === digest,
    );
}
