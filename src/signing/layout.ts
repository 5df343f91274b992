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

/** DSSE's pre-authentication encoding in its parts: a signer hashes them in turn, with no copy of the payload. */
export function paeParts(payloadType: string, payload: Buffer): Buffer[] {
    const type = Buffer.from(payloadType);
    return [Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload];
}

/** DSSE's pre-authentication encoding: what an attestation's signature is over. */
export function pae(payloadType: string, payload: Buffer): Buffer {
    return Buffer.concat(paeParts(payloadType, payload));
}

/** Payload bytes base64-encoded per slice: a multiple of 3, so the slices' texts join into the whole's. */
const BASE64_SLICE = 3 * 1024 * 1024;

/**
 * A DSSE envelope's bytes, the same as `JSON.stringify({payloadType, payload: <base64>, signatures:
 * [{keyid: "", sig}]})`, written straight into one buffer: a 100,000-file SBOM is ~40 MB of statement,
 * and the base64 string plus the JSON string plus their Buffer were three more copies of it.
 */
export function dsseEnvelope(payloadType: string, payload: Buffer, sig: string): Buffer {
    const head = Buffer.from(`{"payloadType":${JSON.stringify(payloadType)},"payload":"`);
    const tail = Buffer.from(`","signatures":[{"keyid":"","sig":${JSON.stringify(sig)}}]}`);
    const out = Buffer.allocUnsafe(head.length + 4 * Math.ceil(payload.length / 3) + tail.length);
    let at = head.copy(out, 0);
    for (let i = 0; i < payload.length; i += BASE64_SLICE) {
        at += out.write(payload.subarray(i, i + BASE64_SLICE).toString("base64"), at, "latin1");
    }
    tail.copy(out, at);
    return out;
}
