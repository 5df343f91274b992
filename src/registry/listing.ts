import { isTag } from "../release";
import { isContentDigest } from "./digest";
import {
    pullScope,
    referrersUrl,
    registryBaseUrl,
    registryOrigin,
    repoOf,
    requireDigest,
    tagsUrl,
} from "./endpoints";
import { RegistryDeadlineError, RegistryProtocolError, checkStatus, quoted } from "./errors";
import { OCI_INDEX } from "./mediatypes";
import { checkedUrl, offOrigin } from "./origin";
import type { Reply, Session } from "./session";

/* What a repository lists: its tags, and whether it serves the referrers API. */

/**
 * One page's tags. A tag the protocol does not allow is refused (it would go into a URL next), except
 * a digest some registries (JFrog Artifactory) list among tags, which is left out, as skopeo does.
 */
function pageTags(what: string, reply: Reply): string[] {
    const refuse = (why: string): RegistryProtocolError =>
        new RegistryProtocolError(`${what} answered ${why}; refusing it`, reply);
    let json: unknown;
    try {
        json = JSON.parse(reply.body.toString("utf8"));
    } catch {
        throw refuse('with a body that is not JSON (expected {"tags": [...]})');
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
        throw refuse('with JSON that is not an object (expected {"tags": [...]})');
    }
    const listed = (json as { tags?: unknown }).tags ?? [];
    if (!Array.isArray(listed)) throw refuse('with "tags" that is not a list');
    const tags: string[] = [];
    for (const t of listed) {
        if (typeof t === "string" && isTag(t)) tags.push(t);
        else if (typeof t === "string" && isContentDigest(t)) continue;
        else if (t !== null)
            throw refuse(`with tag ${typeof t === "string" ? quoted(t) : String(t)}, which is not a tag`);
    }
    return tags;
}

/**
 * The next page a reply's `Link: <…>; rel="next"` names, if any. It must stay on the registry's
 * origin: the registry's credentials go with every page, and a list continued elsewhere is not this
 * registry's answer (immutable-tag checks and release notes decide on it), so it is refused rather
 * than followed without credentials.
 */
function nextPage(repo: { registry: string; name: string }, reply: Reply): string | undefined {
    const link = reply.headers.get("link");
    const next = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
    if (!next) return undefined;
    const subject = `listing tags of ${repo.name}: the next page is`;
    const url = checkedUrl(next[1], subject, { base: registryBaseUrl(repo.registry), reply });
    const origin = registryOrigin(repo.registry);
    if (url.origin !== origin) throw offOrigin(url, subject, origin, reply);
    return url.toString();
}

/** Every tag of the repository, page by page (`Link: <…>; rel="next"`); none when it does not exist. */
export async function listTags(session: Session, name: string): Promise<string[]> {
    const repo = repoOf(name);
    const what = `listing tags of ${repo.name}`;
    const tags: string[] = [];
    let url: string | undefined = tagsUrl(repo);
    for (let page = 0; url && page < 10_000; page++) {
        let reply: Reply;
        try {
            reply = await session.request(repo.registry, {
                method: "GET",
                url,
                scope: pullScope(repo),
                what,
            });
        } catch (e) {
            // Say how far it got: a registry that sends page after page, each just in time.
            if (!(e instanceof RegistryDeadlineError) || page === 0) throw e;
            throw new RegistryDeadlineError(what, e.deadlineMs, `after ${page} pages (${tags.length} tags)`);
        }
        if (reply.status === 404) return tags;
        checkStatus(reply, 200);
        tags.push(...pageTags(what, reply));
        url = nextPage(repo, reply);
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
