import type { RegistryClient } from "../registry";
import type { Signed } from "../release";
import { readArtifact } from "./artifacts";
import { TrustedKey } from "./keys";
import { artifactTag, DSSE_ENVELOPE, IN_TOTO } from "./layout";
import { envelopeSignedBy, readEnvelope } from "./verify";

/**
 * The statements of `predicateType` about `digest` in its `.att` that a trusted key signed, in layer
 * order. The type is read from the signed payload, never from the layer's annotation; an envelope no
 * trusted key signed, about another digest, or of another shape is passed over.
 */
export async function signedStatements(
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
