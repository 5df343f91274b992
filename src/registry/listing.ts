import { pullScope, referrersUrl, registryBaseUrl, repoOf, requireDigest, tagsUrl } from "./endpoints";
import { checkStatus } from "./errors";
import { OCI_INDEX } from "./mediatypes";
import type { Session } from "./session";

/* What a repository lists: its tags, and whether it serves the referrers API. */

/** Every tag of the repository, page by page (`Link: <…>; rel="next"`); none when it does not exist. */
export async function listTags(session: Session, name: string): Promise<string[]> {
    const repo = repoOf(name);
    const base = registryBaseUrl(repo.registry);
    const tags: string[] = [];
    let url: string | undefined = tagsUrl(repo);
    for (let page = 0; url && page < 10_000; page++) {
        const reply = await session.request(repo.registry, {
            method: "GET",
            url,
            scope: pullScope(repo),
            what: `listing tags of ${repo.name}`,
        });
        if (reply.status === 404) return tags;
        checkStatus(reply, 200);
        const json = JSON.parse(reply.body.toString("utf8")) as { tags?: string[] | null };
        tags.push(...(json.tags ?? []));
        const link = reply.headers.get("link");
        const next = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
        url = next ? new URL(next[1], base).toString() : undefined;
    }
    return tags;
}

/**
 * Whether the registry serves the OCI 1.1 referrers API for this repository: a 200 with an index.
 * distribution 2.x answers 404, and then only cosign's tag layout (`sha256-<hex>.att`) is used.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 */
export async function referrersSupported(session: Session, name: string, digest: string): Promise<boolean> {
    const repo = repoOf(name);
    requireDigest(digest);
    const reply = await session.request(repo.registry, {
        method: "GET",
        url: referrersUrl(repo, digest),
        scope: pullScope(repo),
        what: `GET referrers of ${digest} in ${repo.name}`,
        headers: { Accept: OCI_INDEX },
    });
    return reply.status === 200 && (reply.headers.get("content-type") ?? "").startsWith(OCI_INDEX);
}
