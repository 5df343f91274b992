import { verify as cryptoVerify } from "crypto";
import { RegistryClient } from "../registry";
import { readArtifact } from "./artifacts";
import { SigningError } from "./errors";
import { TrustedKey } from "./keys";
import {
    artifactTag,
    DSSE_ENVELOPE,
    IN_TOTO,
    pae,
    PREDICATE_TYPE_ANNOTATION,
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

function verifies(key: TrustedKey, bytes: Buffer, signatureB64: string): boolean {
    try {
        return cryptoVerify(
            "sha256",
            bytes,
            { key: key.publicKey, dsaEncoding: "der" },
            Buffer.from(signatureB64, "base64"),
        );
    } catch {
        return false;
    }
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
    const ref = `${repository}@${digest}`;
    if (keys.length === 0) throw new SigningError(`cannot verify ${ref}: no trusted public key configured`);
    const tag = artifactTag(digest, "sig");
    const sig = await readArtifact(client, repository, tag);
    const layers = (sig?.layers ?? []).filter((l) => l.mediaType === SIMPLE_SIGNING);
    if (layers.length === 0) {
        throw new SigningError(
            `${ref} is not signed (no signature in ${repository}:${tag}); trusted key(s): ${keyList(keys)}`,
        );
    }
    const otherDigests: string[] = [];
    for (const layer of layers) {
        const signature = layer.annotations?.[SIGNATURE_ANNOTATION];
        if (!signature) continue;
        // getBlob checks the payload hashes to the digest the manifest names.
        const payload = await client.getBlob(repository, layer.digest);
        for (const key of keys) {
            if (!verifies(key, payload, signature)) continue;
            let claims: { critical?: { image?: { "docker-manifest-digest"?: string }; type?: string } };
            try {
                claims = JSON.parse(payload.toString("utf8")) as typeof claims;
            } catch {
                continue;
            }
            const signed = claims.critical?.image?.["docker-manifest-digest"];
            if (claims.critical?.type !== SIGNATURE_TYPE) continue;
            if (signed !== digest) {
                otherDigests.push(`${signed} (key ${key.id})`);
                continue;
            }
            return {
                digest,
                keyId: key.id,
                keySource: key.source,
                ref: `${repository}:${tag}`,
                signatures: layers.length,
            };
        }
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

/** The attestations in `sha256-<hex>.att`: each one's predicate type, and which trusted key signed it. */
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
        const predicateType = layer.annotations?.[PREDICATE_TYPE_ANNOTATION] ?? "unknown";
        let keyId: string | undefined;
        try {
            const env = JSON.parse((await client.getBlob(repository, layer.digest)).toString("utf8")) as {
                payloadType?: string;
                payload?: string;
                signatures?: { sig?: string }[];
            };
            const payload = Buffer.from(env.payload ?? "", "base64");
            const statement = JSON.parse(payload.toString("utf8")) as {
                subject?: { digest?: { sha256?: string } }[];
            };
            const about = statement.subject?.some((s) => `sha256:${s.digest?.sha256}` === digest);
            if (env.payloadType === IN_TOTO && about) {
                keyId = keys.find((k) =>
                    (env.signatures ?? []).some((s) => s.sig && verifies(k, pae(IN_TOTO, payload), s.sig)),
                )?.id;
            }
        } catch {
            keyId = undefined;
        }
        out.push({ predicateType, ...(keyId ? { keyId } : {}) });
    }
    return out;
}
