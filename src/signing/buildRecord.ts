import type { RegistryClient } from "../registry";
import { TrustedKey } from "./keys";
import { SLSA_PROVENANCE_V1 } from "./layout";
import { signedStatements } from "./statements";

/**
 * The build keys that the SLSA provenance of `digest`, signed by a trusted key, names
 * (`buildDefinition.internalParameters.buildKey`), in layer order; none when no trusted key signed one.
 */
export async function provenanceBuildKeys(
    client: RegistryClient,
    repository: string,
    digest: string,
    keys: TrustedKey[],
): Promise<string[]> {
    const statements = await signedStatements(client, repository, digest, keys, SLSA_PROVENANCE_V1);
    const out: string[] = [];
    for (const s of statements) {
        const p = s.predicate as { buildDefinition?: { internalParameters?: { buildKey?: unknown } } };
        const key = p.buildDefinition?.internalParameters?.buildKey;
        if (typeof key === "string") out.push(key);
    }
    return out;
}
