import { KeyObject } from "crypto";
import { ATTESTATION_LIMIT, RegistryClient } from "../registry";
import { redactCredentials } from "../release";
import { ArtifactLayer, readArtifact } from "./artifacts";
import { SigningError } from "./errors";
import { TrustedKey, verifiesWith } from "./keys";
import {
    artifactTag,
    DSSE_ENVELOPE,
    IN_TOTO,
    pae,
    SIGNATURE_ANNOTATION,
    SIGNATURE_TYPE,
    SIMPLE_SIGNING,
} from "./layout";

export interface VerifiedSignature {
    digest: string;
    /** The trusted key that verified it. */
    keyId: string;
    keySource: string;
    /** `repository:sha256-<hex>.sig` */
    ref: string;
    /** How many signatures the `.sig` manifest holds (any key). */
    signatures: number;
}

export interface AttestationInfo {
    predicateType: string;
    /** The trusted key that verified its envelope; undefined when none did (or none was given). */
    keyId?: string;
}

function keyList(keys: TrustedKey[]): string {
    return keys.map((k) => `${k.id} (${k.source})`).join(", ");
}

/** A DSSE envelope as an attestation layer holds it. */
export interface DsseEnvelope {
    payloadType?: string;
    /** The payload as the envelope spells it (base64), and decoded. */
    payloadB64: string;
    payload: Buffer;
    signatures: { sig?: string }[];
}

/** The envelope stored as blob `digest` (getBlob checks its hash); malformed JSON throws. */
export async function readEnvelope(
    client: RegistryClient,
    repository: string,
    digest: string,
): Promise<DsseEnvelope> {
    const env = JSON.parse(
        (await client.getBlob(repository, digest, ATTESTATION_LIMIT)).toString("utf8"),
    ) as {
        payloadType?: string;
        payload?: string;
        signatures?: { sig?: string }[];
    };
    const payloadB64 = env.payload ?? "";
    return {
        ...(env.payloadType !== undefined ? { payloadType: env.payloadType } : {}),
        payloadB64,
        payload: Buffer.from(payloadB64, "base64"),
        signatures: env.signatures ?? [],
    };
}

/** Some signature of the envelope verifies, with `publicKey`, over its in-toto PAE. */
export function envelopeSignedBy(env: DsseEnvelope, publicKey: KeyObject): boolean {
    return env.signatures.some((s) => verifiesWith(publicKey, pae(IN_TOTO, env.payload), s.sig));
}

/** How `verify` and `notes` show one attestation: its predicate type and who signed it. */
export function describeAttestation(a: AttestationInfo): string {
    return `${a.predicateType} (${a.keyId ? `signed by ${a.keyId}` : "unverified"})`;
}

/**
 * What the simple-signing layers of a `.sig` manifest say about `digest`: the trusted keys whose
 * signature holds for it (in layer, then key order, each once), and the digests that signatures by a
 * trusted key name instead. Each payload is fetched once; getBlob checks it hashes to its digest.
 */
async function signatureVerdicts(
    client: RegistryClient,
    repository: string,
    digest: string,
    layers: ArtifactLayer[],
    keys: TrustedKey[],
): Promise<{ signers: TrustedKey[]; otherDigests: string[] }> {
    const signers: TrustedKey[] = [];
    const otherDigests: string[] = [];
    for (const layer of layers) {
        const signature = layer.annotations?.[SIGNATURE_ANNOTATION];
        if (layer.mediaType !== SIMPLE_SIGNING || !signature) continue;
        const payload = await client.getBlob(repository, layer.digest);
        for (const key of keys) {
            if (!verifiesWith(key.publicKey, payload, signature)) continue;
            let claims: { critical?: { image?: { "docker-manifest-digest"?: string }; type?: string } };
            try {
                claims = JSON.parse(payload.toString("utf8")) as typeof claims;
            } catch {
                continue;
            }
            const signed = claims.critical?.image?.["docker-manifest-digest"];
            if (claims.critical?.type !== SIGNATURE_TYPE) continue;
            if (signed !== digest) otherDigests.push(`${signed} (key ${key.id})`);
            else if (!signers.includes(key)) signers.push(key);
        }
    }
    return { signers, otherDigests };
}

/** The ids of the trusted keys that signed `digest`, in `keys` order, from its `.sig` manifest's layers. */
export async function trustedSigners(
    client: RegistryClient,
    repository: string,
    digest: string,
    layers: ArtifactLayer[],
    keys: TrustedKey[],
): Promise<string[]> {
    const { signers } = await signatureVerdicts(client, repository, digest, layers, keys);
    return keys.filter((k) => signers.includes(k)).map((k) => k.id);
}

/**
 * The check `cosign verify --key` makes, offline: some simple-signing layer of `sha256-<hex>.sig`
 * verifies with a trusted key, and its payload names this very digest. Every refusal names the digest
 * and the trusted key(s).
 */
export async function verifySignature(
    client: RegistryClient,
    repository: string,
    digest: string,
    keys: TrustedKey[],
): Promise<VerifiedSignature> {
    const ref = `${redactCredentials(repository)}@${digest}`;
    if (keys.length === 0) throw new SigningError(`cannot verify ${ref}: no trusted public key configured`);
    const tag = artifactTag(digest, "sig");
    const sig = await readArtifact(client, repository, tag);
    const layers = (sig?.layers ?? []).filter((l) => l.mediaType === SIMPLE_SIGNING);
    if (layers.length === 0) {
        throw new SigningError(
            `${ref} is not signed (no signature in ${repository}:${tag}); trusted key(s): ${keyList(keys)}`,
        );
    }
    const { signers, otherDigests } = await signatureVerdicts(client, repository, digest, layers, keys);
    if (signers.length > 0) {
        return {
            digest,
            keyId: signers[0].id,
            keySource: signers[0].source,
            ref: `${repository}:${tag}`,
            signatures: layers.length,
        };
    }
    if (otherDigests.length > 0) {
        throw new SigningError(
            `${ref}: its signature is for another digest: ${otherDigests.join(", ")}; refusing it`,
        );
    }
    throw new SigningError(
        `${ref}: none of its ${layers.length} signature(s) verifies with the trusted key(s) ${keyList(keys)} (signed by another key, or the signed payload was changed)`,
    );
}

/**
 * The predicate type an in-toto statement states, when it is a URI a terminal can show as is (printable
 * ASCII, no spaces): anything else is "unknown" rather than text that could rewrite the screen.
 */
function statedPredicateType(statement: { predicateType?: unknown }): string {
    const t = statement.predicateType;
    return typeof t === "string" && /^[\x21-\x7e]{1,512}$/.test(t) ? t : "unknown";
}

/**
 * The attestations in `sha256-<hex>.att`: each one's predicate type, and which trusted key signed it.
 * The type is read from the DSSE payload, which the signature covers, as `cosign verify-attestation
 * --type` does; the layer's `predicateType` annotation is unsigned, so anyone who can push the tag
 * could make it say anything, and it is never read.
 */
export async function readAttestations(
    client: RegistryClient,
    repository: string,
    digest: string,
    keys: TrustedKey[],
): Promise<AttestationInfo[]> {
    const att = await readArtifact(client, repository, artifactTag(digest, "att"));
    const out: AttestationInfo[] = [];
    for (const layer of att?.layers ?? []) {
        if (layer.mediaType !== DSSE_ENVELOPE) continue;
        let predicateType = "unknown";
        let keyId: string | undefined;
        try {
            const env = await readEnvelope(client, repository, layer.digest);
            const statement = JSON.parse(env.payload.toString("utf8")) as {
                subject?: { digest?: { sha256?: string } }[];
                predicateType?: unknown;
            };
            predicateType = statedPredicateType(statement);
            const about = statement.subject?.some((s) => `sha256:${s.digest?.sha256}` === digest);
            if (env.payloadType === IN_TOTO && about) {
                keyId = keys.find((k) => envelopeSignedBy(env, k.publicKey))?.id;
            }
        } catch {
            keyId = undefined;
        }
        out.push({ predicateType, ...(keyId ? { keyId } : {}) });
    }
    return out;
}
