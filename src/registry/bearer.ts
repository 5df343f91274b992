import { Credential, basicHeader } from "./auth";
import { RegistryAuthError, RegistryProtocolError, checkStatus } from "./errors";
import type { Reply, RequestSpec } from "./session";

/*
 * The bearer token exchange: a 401's `WWW-Authenticate: Bearer realm=…,service=…,scope=…` names a
 * token server, which trades the registry's credentials (or none) for a token good for that scope.
 * https://distribution.github.io/distribution/spec/auth/token/
 */

export interface Token {
    token: string;
    /** Seconds; absent means the spec's 60. */
    expiresIn?: number;
}

/** What a session lends the exchange: one send with retries, no challenge handling of its own. */
export type Send = (spec: RequestSpec, auth: string | undefined) => Promise<Reply>;

/** The token endpoint's URL: the challenge's realm with its service and one `scope` parameter per scope. */
export function tokenUrl(challenge: Record<string, string>, scope: string): string {
    const url = new URL(challenge.realm);
    if (challenge.service) url.searchParams.set("service", challenge.service);
    // A cross-repository mount needs push on one repository and pull on another: one param each.
    for (const one of scope.split(" ").filter((x) => x !== "")) url.searchParams.append("scope", one);
    return url.toString();
}

/** Asks the realm `challenge` names for a token good for `scope`, with `registry`'s credential if any. */
export async function requestToken(
    send: Send,
    registry: string,
    challenge: Record<string, string>,
    scope: string,
    credential: Credential | undefined,
): Promise<Token> {
    const what = `token endpoint for ${registry}`;
    const reply = await send(
        { method: "GET", url: tokenUrl(challenge, scope), scope, what },
        credential ? basicHeader(credential) : undefined,
    );
    if (reply.status === 401 || reply.status === 403) {
        throw new RegistryAuthError(registry, scope, reply.status, reply);
    }
    checkStatus(reply, 200);
    let json: { token?: string; access_token?: string; expires_in?: number } | null;
    try {
        json = JSON.parse(reply.body.toString("utf8")) as typeof json;
    } catch {
        throw new RegistryProtocolError(`${what} did not return JSON`, reply);
    }
    const token = json?.token ?? json?.access_token;
    if (!token) throw new RegistryProtocolError(`${what} returned no token`, reply);
    return { token, ...(json?.expires_in !== undefined ? { expiresIn: json.expires_in } : {}) };
}
