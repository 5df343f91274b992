import { isDigest } from "../release";
import { SigningError } from "./errors";

/** What cosign stores, and where: https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md */
export const SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
export const DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json";
export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
export const PREDICATE_TYPE_ANNOTATION = "predicateType";
export const IN_TOTO = "application/vnd.in-toto+json";
export const SIGNATURE_TYPE = "cosign container image signature";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const SPDX_DOCUMENT = "https://spdx.dev/Document";
/** The OCI 1.1 empty descriptor's media type: an artifact manifest's config. */
export const OCI_EMPTY = "application/vnd.oci.empty.v1+json";

/** `sha256:<hex>` -> `sha256-<hex>.sig` / `.att`: the tags cosign reads next to the image. */
export function artifactTag(digest: string, kind: "sig" | "att"): string {
    if (!isDigest(digest)) throw new SigningError(`not a digest: "${digest}" (expected sha256:<64 hex>)`);
    return `${digest.replace(":", "-")}.${kind}`;
}

/** The image a `sha256-<hex>.sig`/`.att` tag belongs to, and which of the two it is; undefined for any other tag. */
export function artifactSubject(tag: string): { kind: "sig" | "att"; subject: string } | undefined {
    const m = /^sha256-([0-9a-f]{64})\.(sig|att)$/.exec(tag);
    return m === null ? undefined : { kind: m[2] as "sig" | "att", subject: `sha256:${m[1]}` };
}

/** The tags of a digest's signature and attestations: what travels with it when it is copied. */
export function signatureArtifactTags(digest: string): string[] {
    return [artifactTag(digest, "sig"), artifactTag(digest, "att")];
}

/** The simple-signing payload cosign signs, byte for byte as cosign's Go marshalling writes it. */
export function simpleSigningPayload(repository: string, digest: string): Buffer {
    return Buffer.from(
        JSON.stringify({
            critical: {
                identity: { "docker-reference": repository },
                image: { "docker-manifest-digest": digest },
                type: SIGNATURE_TYPE,
            },
            optional: null,
        }),
    );
}

/** DSSE's pre-authentication encoding: what an attestation's signature is over. */
export function pae(payloadType: string, payload: Buffer): Buffer {
    const type = Buffer.from(payloadType);
    return Buffer.concat([
        Buffer.from(`DSSEv1 ${type.length} `),
        type,
        Buffer.from(` ${payload.length} `),
        payload,
    ]);
}
