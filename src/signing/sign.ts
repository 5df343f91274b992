import { createSign, sign as cryptoSign } from "crypto";
import { ATTESTATION_LIMIT, RegistryClient, sha256Digest } from "../registry";
import { sizeText } from "../release";
import { appendArtifactLayer } from "./artifacts";
import { AttestationTooLargeError } from "./errors";
import { SigningKey, verifiesWith } from "./keys";
import { envelopeSignedBy, readEnvelope } from "./verify";
import {
    artifactTag,
    DSSE_ENVELOPE,
    dsseEnvelope,
    IN_TOTO,
    paeParts,
    PREDICATE_TYPE_ANNOTATION,
    SIGNATURE_ANNOTATION,
    SIMPLE_SIGNING,
    simpleSigningPayload,
} from "./layout";

export interface SignatureRecord {
    /** `repository:sha256-<hex>.sig` */
    ref: string;
    keyId: string;
    /** The `.sig` manifest's digest after this signature was added. */
    manifestDigest: string;
}

/** ASN.1 DER ECDSA over SHA-256, base64: cosign's `dev.cosignproject.cosign/signature` value. */
export function signBytes(key: SigningKey, bytes: Buffer): string {
    return cryptoSign("sha256", bytes, { key: key.privateKey, dsaEncoding: "der" }).toString("base64");
}

/** signBytes over `parts` in turn, as if concatenated, without the copy. */
function signParts(key: SigningKey, parts: Buffer[]): string {
    const signer = createSign("sha256");
    for (const p of parts) signer.update(p);
    return signer.sign({ key: key.privateKey, dsaEncoding: "der" }).toString("base64");
}

/**
 * Refuses an attestation envelope larger than ATTESTATION_LIMIT before it is pushed: image-release and
 * cosign (COSIGN_MAX_ATTACHMENT_SIZE) refuse to read one back, so it could never be verified.
 */
export function checkEnvelopeSize(subject: string, predicateType: string, size: number): void {
    if (size <= ATTESTATION_LIMIT.bytes) return;
    throw new AttestationTooLargeError(
        `the ${predicateType} attestation of ${subject} is ${sizeText(size)} as a DSSE envelope, over the ` +
            `${sizeText(ATTESTATION_LIMIT.bytes)} that image-release and cosign (COSIGN_MAX_ATTACHMENT_SIZE) read ` +
            `back; not pushing it`,
        subject,
        predicateType,
        size,
        ATTESTATION_LIMIT.bytes,
    );
}

/** Signs `repository@digest` as `cosign sign --key` does (no transparency log: an offline key). */
export async function signDigest(
    client: RegistryClient,
    repository: string,
    digest: string,
    key: SigningKey,
): Promise<SignatureRecord> {
    const tag = artifactTag(digest, "sig");
    const payload = simpleSigningPayload(repository, digest);
    const { manifestDigest } = await appendArtifactLayer(
        client,
        repository,
        tag,
        payload,
        { mediaType: SIMPLE_SIGNING, annotations: { [SIGNATURE_ANNOTATION]: signBytes(key, payload) } },
        // This key already signed this payload: signing again would only add a second, random signature.
        async (l) =>
            l.digest === sha256Digest(payload) &&
            verifiesWith(key.publicKey, payload, l.annotations?.[SIGNATURE_ANNOTATION]),
    );
    return { ref: `${repository}:${tag}`, keyId: key.id, manifestDigest };
}

export interface InTotoStatement {
    _type: "https://in-toto.io/Statement/v1";
    subject: { name: string; digest: { sha256: string } }[];
    predicateType: string;
    predicate: unknown;
}

/** The in-toto statement about `repository@digest` that an attestation carries. */
export function statementFor(
    repository: string,
    digest: string,
    predicateType: string,
    predicate: unknown,
): InTotoStatement {
    return {
        _type: "https://in-toto.io/Statement/v1",
        subject: [{ name: repository, digest: { sha256: digest.replace(/^sha256:/, "") } }],
        predicateType,
        predicate,
    };
}

/** A DSSE envelope in `sha256-<hex>.att`, as `cosign attest --key` writes it. */
export async function attest(
    client: RegistryClient,
    repository: string,
    digest: string,
    key: SigningKey,
    statement: InTotoStatement,
    /** An earlier statement this key signed that the new one replaces (the same subject, newer). */
    replaces?: (earlier: InTotoStatement) => boolean,
): Promise<{
    ref: string;
    predicateType: string;
    manifestDigest: string;
    envelope: { digest: string; size: number };
}> {
    const payload = Buffer.from(JSON.stringify(statement));
    const envelope = dsseEnvelope(IN_TOTO, payload, signParts(key, paeParts(IN_TOTO, payload)));
    checkEnvelopeSize(`${repository}@${digest}`, statement.predicateType, envelope.length);
    const tag = artifactTag(digest, "att");
    const { manifestDigest } = await appendArtifactLayer(
        client,
        repository,
        tag,
        envelope,
        {
            mediaType: DSSE_ENVELOPE,
            annotations: { [SIGNATURE_ANNOTATION]: "", [PREDICATE_TYPE_ANNOTATION]: statement.predicateType },
        },
        // The same statement already signed by this key (a rerun): another envelope would only differ
        // in its random signature.
        async (l) => {
            if (l.mediaType !== DSSE_ENVELOPE) return false;
            const env = await readEnvelope(client, repository, l.digest);
            return env.payloadB64 === payload.toString("base64") && envelopeSignedBy(env, key.publicKey);
        },
        async (l) => {
            if (replaces === undefined || l.mediaType !== DSSE_ENVELOPE) return false;
            const env = await readEnvelope(client, repository, l.digest);
            if (!envelopeSignedBy(env, key.publicKey)) return false;
            try {
                return replaces(JSON.parse(env.payload.toString("utf8")) as InTotoStatement);
            } catch {
                return false;
            }
        },
    );
    return {
        ref: `${repository}:${tag}`,
        predicateType: statement.predicateType,
        manifestDigest,
        envelope: { digest: sha256Digest(envelope), size: envelope.length },
    };
}
