import type { RegistryClient } from "../registry";
import {
    REJECTION_PREDICATE,
    RejectionPredicate,
    Signed,
    VERIFICATION_PREDICATE,
    VerificationPredicate,
} from "../release";
import { readArtifact } from "./artifacts";
import { TrustedKey } from "./keys";
import { artifactTag, DSSE_ENVELOPE, IN_TOTO } from "./layout";
import { envelopeSignedBy, readEnvelope } from "./verify";

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

/**
 * The statements of `predicateType` about `digest` in its `.att` that a trusted key signed, in layer
 * order. The type is read from the signed payload, never from the layer's annotation; an envelope no
 * trusted key signed, about another digest, or of another shape is passed over.
 */
async function signedStatements(
    client: RegistryClient,
    repository: string,
    digest: string,
    keys: TrustedKey[],
    predicateType: string,
): Promise<Signed<unknown>[]> {
    if (keys.length === 0) return [];
    const att = await readArtifact(client, repository, artifactTag(digest, "att"));
    const out: Signed<unknown>[] = [];
    for (const layer of att?.layers ?? []) {
        if (layer.mediaType !== DSSE_ENVELOPE) continue;
        const env = await readEnvelope(client, repository, layer.digest).catch(() => undefined);
        if (env === undefined || env.payloadType !== IN_TOTO) continue;
        const key = keys.find((k) => envelopeSignedBy(env, k.publicKey));
        if (key === undefined) continue;
        let statement: {
            subject?: { digest?: { sha256?: string } }[];
            predicateType?: unknown;
            predicate?: unknown;
        };
        try {
            statement = JSON.parse(env.payload.toString("utf8")) as typeof statement;
        } catch {
            continue;
        }
        const about = statement.subject?.some((s) => `sha256:${s.digest?.sha256}` === digest);
        if (about !== true || statement.predicateType !== predicateType) continue;
        out.push({ keyId: key.id, predicate: statement.predicate });
    }
    return out;
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
