import { Credential, basicHeader } from "./auth";
import { RegistryAuthError, RegistryProtocolError, ReplyFacts, checkStatus, quoted } from "./errors";
import { TOKEN_LIMIT } from "./limits";
import { checkedUrl } from "./origin";
import type { Reply, RequestSpec } from "./session";

/*
 * The bearer token exchange: a 401's `WWW-Authenticate: Bearer realm=…,service=…,scope=…` names a
 * token server, which trades the registry's credentials (or none) for a token good for that scope.
 * Which credentials go is the session's rule; the realm itself must be an absolute http(s) URL
 * without credentials in it, and never plain http when the challenge came over https.
 * https://distribution.github.io/distribution/spec/auth/token/
 */

export interface Token {
    token: string;
    /** Seconds; absent means the spec's 60. */
    expiresIn?: number;
}

/** What a session lends the exchange: one send with retries, no challenge handling of its own. */
export type Send = (spec: RequestSpec, auth: string | undefined) => Promise<Reply>;

/**
 * The token endpoint's URL: the challenge's realm with its service and one `scope` parameter per
 * scope. `challenger` is who sent the challenge: `registry` itself, or where it redirected to.
 */
export function tokenUrl(
    registry: string,
    challenger: URL,
    challenge: Record<string, string>,
    scope: string,
    reply?: ReplyFacts,
): string {
    const subject = `${registry} (at ${challenger.origin}) names token realm`;
    const url = checkedUrl(challenge.realm, subject, { reply });
    if (url.protocol === "http:" && challenger.protocol === "https:") {
        throw new RegistryProtocolError(
            `${subject} ${quoted(url.toString())}, which is plain http for an https registry; refusing to send credentials or tokens over it`,
            reply,
        );
    }
    if (challenge.service) url.searchParams.set("service", challenge.service);
    // A cross-repository mount needs push on one repository and pull on another: one param each.
    for (const one of scope.split(" ").filter((x) => x !== "")) url.searchParams.append("scope", one);
    return url.toString();
}

/**
 * Asks the token endpoint `url` for a token good for `scope`, with `credential` (the registry's own,
 * or none) if any. The answer may be 64 KiB at most.
 */
export async function requestToken(
    send: Send,
    registry: string,
    url: string,
    scope: string,
    credential: Credential | undefined,
): Promise<Token> {
    const what = `token endpoint for ${registry}`;
    const reply = await send(
        { method: "GET", url, scope, what, limit: TOKEN_LIMIT },
        credential ? basicHeader(credential) : undefined,
    );
    if (reply.status === 401 || reply.status === 403) {
        throw new RegistryAuthError(registry, scope, reply.status, reply);
    }
    checkStatus(reply, 200);
    let json: { token?: unknown; access_token?: unknown; expires_in?: unknown } | null;
    try {
        json = JSON.parse(reply.body.toString("utf8")) as typeof json;
    } catch {
        throw new RegistryProtocolError(`${what} did not return JSON`, reply);
    }
    const token = json?.token ?? json?.access_token;
    if (!token || typeof token !== "string")
        throw new RegistryProtocolError(`${what} returned no token`, reply);
    // It goes into an Authorization header: visible ASCII only, or fetch fails with a bare TypeError.
    if (!/^[\x21-\x7e]+$/.test(token)) {
        throw new RegistryProtocolError(`${what} returned a token that is not a valid header value`, reply);
    }
    const expiresIn = json?.expires_in;
    return { token, ...(typeof expiresIn === "number" ? { expiresIn } : {}) };
}
