import type { RegistryClient } from "../registry";
import { ImageAge, KeepSet, ListedTag, ManifestChild, RepositoryListing } from "../release";
import { artifactSubject } from "../signing";
import { mapLimit } from "./limit";
import { Refusal } from "./refusal";

/** Runs `fn`; a registry that does not answer is a refusal that names the repository. */
async function listing<T>(repository: string, fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (e) {
        throw new Refusal(
            `cannot list ${repository}: ${(e as Error).message}; gc plans only from a full listing of every repository the stacks use`,
        );
    }
}

/**
 * What one repository holds: each tag and the digest it names (`.sig`/`.att` tags marked with their
 * image), and the manifests each tagged digest and each of `roots` names, for those that are there.
 */
export async function listRepository(
    client: RegistryClient,
    repository: string,
    roots: string[],
    concurrency: number,
): Promise<RepositoryListing> {
    return listing(repository, async () => {
        const names = await client.listTags(repository);
        const heads = await mapLimit(names, concurrency, async (tag) => ({
            tag,
            head: await client.headManifest(repository, tag),
        }));
        const tags: ListedTag[] = [];
        for (const { tag, head } of heads) {
            if (head === undefined) continue; // deleted since it was listed
            const artifact = artifactSubject(tag);
            tags.push({ tag, digest: head.digest, ...(artifact ? { artifact } : {}) });
        }
        // An artifact manifest names no other manifest: only images and indexes are read.
        const images = tags.filter((t) => t.artifact === undefined).map((t) => t.digest);
        const digests = [...new Set([...images, ...roots])];
        const read = await mapLimit(digests, concurrency, (d) => client.manifestChildren(repository, d));
        const manifests: Record<string, ManifestChild[]> = {};
        digests.forEach((d, i) => {
            const children = read[i];
            if (children !== undefined) manifests[d] = children;
        });
        return { repository, tags, manifests };
    });
}

/** The age of every tagged image of the listing outside the keep set: the candidates. */
export async function candidateAges(
    client: RegistryClient,
    listings: RepositoryListing[],
    keep: KeepSet,
    concurrency: number,
): Promise<Record<string, ImageAge>> {
    const jobs = listings.flatMap((r) =>
        [...new Set(r.tags.filter((t) => !t.artifact && !keep.has(t.digest)).map((t) => t.digest))].map(
            (digest) => ({ repository: r.repository, digest }),
        ),
    );
    const ages = await mapLimit(jobs, concurrency, (j) => client.imageAge(j.repository, j.digest));
    return Object.fromEntries(jobs.map((j, i) => [j.digest, ages[i]]));
}
