import { RegistryProtocolError, ReplyFacts, quoted, redactUrl } from "./errors";

/*
 * URLs a registry hands the client (an upload Location, a tags Link, a token realm) before the client
 * goes there. Each must be an http(s) URL without credentials in it; where the registry's own
 * credentials may follow is the session's rule (session.ts), by origin.
 */

/**
 * `raw` resolved against `base` (or absolute when there is none) and checked; else a refusal that
 * reads "<subject> "<raw, credentials redacted>", which <why>; refusing it".
 */
export function checkedUrl(raw: string, subject: string, o: { base?: string; reply?: ReplyFacts } = {}): URL {
    const refuse = (why: string): RegistryProtocolError =>
        new RegistryProtocolError(`${subject} ${quoted(redactUrl(raw))}, which ${why}; refusing it`, o.reply);
    let url: URL;
    try {
        url = o.base === undefined ? new URL(raw) : new URL(raw, o.base);
    } catch {
        throw refuse(o.base === undefined ? "is not an absolute URL" : "is not a URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw refuse("is not an http(s) URL");
    // fetch refuses such a URL with a bare TypeError that quotes the password; node:http would send it.
    if (url.username !== "" || url.password !== "") throw refuse("carries credentials");
    return url;
}

/** The refusal of a URL that leaves `origin`, worded as `checkedUrl`'s. */
export function offOrigin(
    url: URL,
    subject: string,
    origin: string,
    reply?: ReplyFacts,
): RegistryProtocolError {
    return new RegistryProtocolError(
        `${subject} ${quoted(url.toString())}, which is on another origin than ${origin}; refusing it`,
        reply,
    );
}
