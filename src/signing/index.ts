export { AttestationTooLargeError, SigningError } from "./errors";
export {
    keyId,
    parsePrivateKey,
    parsePublicKey,
    readPublicKeys,
    signingKeyFromEnv,
    trustedKeyOf,
    VERIFIER_KEY_ENV,
} from "./keys";
export type { KeyEnvNames, SigningKey, TrustedKey } from "./keys";
export { readRejections, readVerifications } from "./evidence";
export { provenanceBuildKeys } from "./buildRecord";
export {
    artifactSubject,
    artifactTag,
    signatureArtifactTags,
    DSSE_ENVELOPE,
    SIGNATURE_ANNOTATION,
    SIMPLE_SIGNING,
    SLSA_PROVENANCE_V1,
    SPDX_DOCUMENT,
    simpleSigningPayload,
    dsseEnvelope,
    pae,
} from "./layout";
export { attest, checkEnvelopeSize, signBytes, signDigest, statementFor } from "./sign";
export type { InTotoStatement, SignatureRecord } from "./sign";
export { describeAttestation, readAttestations, trustedSigners, verifySignature } from "./verify";
export type { AttestationInfo, VerifiedSignature } from "./verify";
export { buildSbom } from "./sbom";
export { builderVersion, provenancePredicate } from "./provenance";
export type { ProvenanceInput } from "./provenance";
export { signRelease } from "./release";
export type { SignedRelease } from "./release";
export { requiredSignature } from "./require";
export type { SignaturePolicy } from "./require";
export { readArtifact } from "./artifacts";
