import { Manifest, OCI_MANIFEST, RegistryClient, sha256Digest } from "../registry";
import { SigningKey, trustedKeyOf } from "./keys";
import { DSSE_ENVELOPE, OCI_EMPTY, SLSA_PROVENANCE_V1, SPDX_DOCUMENT } from "./layout";
import { provenancePredicate, ProvenanceInput } from "./provenance";
import { buildSbom } from "./sbom";
import { attest, SignatureRecord, signDigest, statementFor } from "./sign";
import { signedStatements } from "./statements";

export interface SignedRelease {
    signature: SignatureRecord;
    /** `repository:sha256-<hex>.att` and the predicate types it now holds from this release. */
    attestations: { ref: string; predicateTypes: string[] };
    /** Whether the registry took OCI 1.1 referrers; distribution 2.x answers 404 and gets cosign's tags only. */
    referrers: "unsupported" | "supported";
}

/**
 * The SBOM this key already signed about `digest` in this repository, by this tool version and for this
 * build time: the same document `buildSbom` would make again (it derives everything from the image's
 * bytes), so a rerun (a reused build) does not read every layer again. Anything else: undefined.
 */
async function signedSbom(
    client: RegistryClient,
    repository: string,
    digest: string,
    key: SigningKey,
    o: { created: string; tool: string },
): Promise<Record<string, unknown> | undefined> {
    const trusted = [trustedKeyOf(key, "the release key")];
    const statements = await signedStatements(client, repository, digest, trusted, SPDX_DOCUMENT);
    const same = statements.find((s) => {
        const doc = s.predicate as {
            name?: unknown;
            creationInfo?: { created?: unknown; creators?: unknown };
        };
        return (
            doc.name === `${repository}@${digest}` &&
            doc.creationInfo?.created === o.created &&
            JSON.stringify(doc.creationInfo?.creators) === JSON.stringify([`Tool: ${o.tool}`])
        );
    });
    return same?.predicate as Record<string, unknown> | undefined;
}

/**
 * Signs the index digest and attaches its SBOM (SPDX 2.3) and provenance (SLSA v1) as signed in-toto
 * attestations, all in cosign's layout, so `cosign verify --key` and `cosign verify-attestation` accept
 * them. Everything is by digest and idempotent: a rerun adds nothing that is already there.
 */
export async function signRelease(
    client: RegistryClient,
    repository: string,
    digest: string,
    key: SigningKey,
    p: ProvenanceInput,
): Promise<SignedRelease> {
    const created = new Date(p.sourceDateEpoch * 1000).toISOString().replace(/\.000Z$/, "Z");
    const tool = `image-release-${p.builderVersion}`;
    const sbom =
        (await signedSbom(client, repository, digest, key, { created, tool })) ??
        (await buildSbom(client, repository, digest, { created, tool }));
    const signature = await signDigest(client, repository, digest, key);
    const statements = [
        statementFor(repository, digest, SPDX_DOCUMENT, sbom),
        statementFor(repository, digest, SLSA_PROVENANCE_V1, provenancePredicate(p)),
    ];
    const made = [];
    for (const st of statements) made.push(await attest(client, repository, digest, key, st));
    const supported = await client.referrersSupported(repository, digest);
    if (supported) {
        const subject = await client.getManifest(repository, digest);
        for (const a of made) await pushReferrer(client, repository, subject, a.envelope, a.predicateType);
    }
    return {
        signature,
        attestations: { ref: made[0].ref, predicateTypes: made.map((a) => a.predicateType) },
        referrers: supported ? "supported" : "unsupported",
    };
}

const EMPTY_CONFIG = Buffer.from("{}");

/** The same envelope as an OCI 1.1 referrer of the index: an artifact manifest whose `subject` is it. */
async function pushReferrer(
    client: RegistryClient,
    repository: string,
    subject: Manifest,
    envelope: { digest: string; size: number },
    predicateType: string,
): Promise<string> {
    await client.pushBlob(repository, EMPTY_CONFIG);
    const manifest = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            artifactType: DSSE_ENVELOPE,
            config: { mediaType: OCI_EMPTY, digest: sha256Digest(EMPTY_CONFIG), size: EMPTY_CONFIG.length },
            layers: [{ mediaType: DSSE_ENVELOPE, ...envelope, annotations: { predicateType } }],
            subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.length },
            annotations: { predicateType },
        }),
    );
    return client.putManifest(repository, sha256Digest(manifest), manifest, OCI_MANIFEST);
}
