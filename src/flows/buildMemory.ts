import type { BuildMemory, RememberedBuild } from "../builder";
import { buildRecordTag, redactCredentials } from "../release";
import type { RegistryClient } from "../registry";
import { provenanceBuildKeys, SigningError, SigningKey, trustedKeyOf, verifySignature } from "../signing";

/**
 * The registry's memory of builds: the tag `buildkey-<build key>` (the distribution API cannot search
 * annotations, and a tag is read by one HEAD on any registry) names the index a build of that key
 * gave. Anyone who can push can point such a tag at any digest, so a record counts only when the digest
 * is signed by the release key and its signed SLSA provenance names the very same build key; publish
 * then checks every platform in the registry before it reuses the digest.
 */
export function registryBuildMemory(
    client: RegistryClient,
    repository: string,
    key: SigningKey,
): BuildMemory {
    const trusted = [trustedKeyOf(key, "the release key")];
    return {
        async find(buildKey: string): Promise<RememberedBuild> {
            const tag = buildRecordTag(buildKey);
            const head = await client.headManifest(repository, tag);
            if (head === undefined) return undefined;
            const where = `${redactCredentials(repository)}:${tag} -> ${head.digest}`;
            try {
                await verifySignature(client, repository, head.digest, trusted);
            } catch (e) {
                if (!(e instanceof SigningError)) throw e;
                return { refused: `${where}: ${e.message}` };
            }
            const named = await provenanceBuildKeys(client, repository, head.digest, trusted);
            if (!named.includes(buildKey)) {
                const said =
                    named.length === 0 ? "names no build key" : `names build key ${named.join(", ")}`;
                return { refused: `${where}: its provenance signed by ${key.id} ${said}, not ${buildKey}` };
            }
            return { digest: head.digest };
        },
    };
}

/** Files the build of `buildKey` under its tag, once its digest is signed with provenance naming the key. */
export async function recordBuild(
    client: RegistryClient,
    repository: string,
    buildKey: string,
    digest: string,
): Promise<void> {
    await client.retag(repository, digest, buildRecordTag(buildKey));
}
