import { sizeText } from "../release";

/**
 * One entry of a registry's error body, `{"errors": [{"code", "message", "detail"}]}`.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
export interface RegistryDiagnostic {
    code: string;
    message: string;
    detail?: unknown;
}

/** The exchange an error came from: what was asked, where, and what the registry answered. */
export interface ReplyFacts {
    method: string;
    /** Where the reply came from, after any redirect. */
    url: string;
    status: number;
    statusText: string;
    body?: Buffer;
}

/** A reply together with how messages name its request, as `checkStatus` needs it. */
export interface CheckedReply extends ReplyFacts {
    /** The request as messages name it: "HEAD manifest 1.0 in r", "listing tags of r". */
    what: string;
    /** Quote the reply body in a refusal: a registry says in it why it refused a write. */
    quoteBody?: boolean;
}

/** Statuses worth the same request again (go-containerregistry's list, plus every 5xx as before). */
export function isTemporaryStatus(status: number): boolean {
    return status >= 500 || status === 408 || status === 429;
}

/** Error codes that say "try again" rather than "this request is wrong". */
const TEMPORARY_CODES = new Set(["BLOB_UPLOAD_INVALID", "TOOMANYREQUESTS", "UNKNOWN", "UNAVAILABLE"]);

/** Terminal escape sequences: CSI (`ESC [ … final`), OSC (`ESC ] … BEL/ST`) and two-byte escapes. */
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
/** C0 and C1 controls, DEL, and the Unicode ones that reorder or break lines (Trojan Source, U+2028). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Registry text as it may reach a terminal: escape sequences dropped, line breaks and tabs as one
 * space, every other control character removed. A registry's error body could otherwise clear the
 * screen, retitle the window or hide the line before it.
 */
export function printable(text: string): string {
    return text
        .replace(ESCAPE_SEQUENCE, "")
        .replace(/[\t\n\r]+/g, " ")
        .replace(CONTROL, "");
}

/** A value a registry sent, quoted in a message: printable, and cut after 200 characters. */
export function quoted(value: string): string {
    const text = printable(value);
    return `"${text.length > 200 ? `${text.slice(0, 200)}…` : text}"`;
}

/**
 * A URL (or anything shaped like `user:password@host`) with its userinfo replaced by `<redacted>`:
 * credentials in a URL never reach a message, wherever the URL came from.
 */
export function redactUrl(url: string): string {
    return url.replace(
        /^((?:[a-z][a-z0-9+.-]*:)?\/\/)?[^/?#\s]*@/i,
        (_m, scheme?: string) => `${scheme ?? ""}<redacted>@`,
    );
}

/** The well-formed entries of an `errors[]` body; anything else (HTML, text, no body) gives none. */
export function diagnosticsOf(body: Buffer | undefined): RegistryDiagnostic[] {
    if (body === undefined || body.length === 0) return [];
    let json: unknown;
    try {
        json = JSON.parse(body.toString("utf8"));
    } catch {
        return [];
    }
    const errors = (json as { errors?: unknown } | null)?.errors;
    if (!Array.isArray(errors)) return [];
    return errors
        .filter((d): d is Record<string, unknown> => typeof d === "object" && d !== null)
        .filter((d) => typeof d.code === "string")
        .map((d) => ({
            code: printable(d.code as string),
            message: typeof d.message === "string" ? printable(d.message) : "",
            ...(d.detail !== undefined ? { detail: d.detail } : {}),
        }));
}

/**
 * Base class so callers can catch every registry failure in one place. When the failure came from a
 * reply, it carries the request's method and URL, the status, and the registry's `errors[]`, like
 * go-containerregistry's transport.Error; `temporary` says whether trying again may help.
 */
export class RegistryError extends Error {
    readonly method?: string;
    readonly url?: string;
    readonly status?: number;
    readonly errors: RegistryDiagnostic[];
    readonly temporary: boolean;

    /** `from`: the reply this failure came from, or an earlier registry error whose facts it repeats. */
    constructor(message: string, from?: ReplyFacts | RegistryError) {
        super(message);
        this.name = new.target.name;
        if (from instanceof RegistryError) {
            this.method = from.method;
            this.url = from.url;
            this.status = from.status;
            this.errors = from.errors;
        } else {
            this.method = from?.method;
            this.url = from?.url === undefined ? undefined : redactUrl(from.url);
            this.status = from?.status;
            this.errors = diagnosticsOf(from?.body);
        }
        this.temporary =
            this.status !== undefined &&
            (this.errors.length > 0
                ? this.errors.every((d) => TEMPORARY_CODES.has(d.code))
                : isTemporaryStatus(this.status));
    }
}

export class RegistryAuthError extends RegistryError {
    constructor(
        public readonly registry: string,
        public readonly scope: string,
        public readonly status: number,
        reply?: ReplyFacts,
    ) {
        super(
            `authentication failed for ${registry} (scope "${scope}"): ${status} ${status === 403 ? "Forbidden" : "Unauthorized"}`,
            reply,
        );
    }
}

export class ManifestNotFoundError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly reference: string,
        reply?: ReplyFacts,
    ) {
        super(
            reference.startsWith("sha256:")
                ? `digest ${reference} not found in repo ${repository}`
                : `tag ${reference} not found in repo ${repository}`,
            reply,
        );
    }
}

/** A blob (a layer, a config, a signature payload) the repository does not hold. */
export class BlobNotFoundError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly digest: string,
        reply?: ReplyFacts,
    ) {
        super(`blob ${digest} not found in repo ${repository}`, reply);
    }
}

export class MissingPlatformError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly digest: string,
        public readonly missing: string[],
        public readonly present: string[],
    ) {
        super(
            `${repository}@${digest} lacks required platform(s) ${missing.join(", ")} (has ${present.join(", ") || "none"})`,
        );
    }
}

export class ImmutableTagError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly tag: string,
        public readonly oldDigest: string,
        public readonly newDigest: string,
        /** Replaces "refusing to move it to <newDigest>" when the refusal comes before the build. */
        reason?: string,
    ) {
        super(
            `tag ${tag} in ${repository} already points at ${oldDigest}; ${reason ?? `refusing to move it to ${newDigest}`} (immutable tag; use force to override)`,
        );
    }
}

export class RegistryUnavailableError extends RegistryError {
    constructor(
        public readonly registry: string,
        public readonly attempts: number,
        public readonly causeText: string,
        /** The last attempt's reply, when it got one (a 503), rather than a network failure. */
        reply?: ReplyFacts,
    ) {
        super(`registry ${registry} unreachable after ${attempts} attempts: ${causeText}`, reply);
    }
}

export class MalformedManifestError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly reference: string,
        public readonly detail: string,
        reply?: ReplyFacts,
    ) {
        super(`manifest ${reference} in ${repository} is not valid JSON: ${printable(detail)}`, reply);
    }
}

/**
 * The registry, or a proxy in front of it, refused a blob for its size: 413 Payload Too Large, as an
 * nginx `client_max_body_size` or ingress-nginx `proxy-body-size` answers a multi-GB layer. Another
 * attempt would get the same answer. The builder names the platforms whose layer it is.
 */
export class BlobTooLargeError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly digest: string,
        public readonly size: number,
        from?: ReplyFacts | RegistryError,
        /** The platforms whose image holds the blob, when the caller knows them. */
        public readonly platforms: string[] = [],
    ) {
        const facts = from instanceof RegistryError ? from : new RegistryError("", from);
        const said = facts.errors.map((d) => `${d.code}: ${d.message}`).join("; ");
        const of = platforms.length > 0 ? ` (a layer of ${platforms.join(", ")})` : "";
        super(
            `${repository} refused blob ${digest}${of}, ${sizeText(size)}, as too large (413${said ? `: ${said}` : ""}): ` +
                `the registry, or a proxy in front of it, takes no request body this large${said ? "" : " and did not say its limit"}; ` +
                `raise it (nginx client_max_body_size, ingress-nginx proxy-body-size) or push to a registry without one`,
            from,
        );
    }

    /** The same refusal, naming the platforms whose image holds the blob. */
    ofPlatforms(platforms: string[]): BlobTooLargeError {
        return new BlobTooLargeError(this.repository, this.digest, this.size, this, platforms);
    }
}

/**
 * A manifest or index larger than registries take: distribution refuses one over 4 MiB on push and
 * containerd on pull (MaxManifestSize), so it is not sent.
 */
export class ManifestTooLargeError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly reference: string,
        public readonly size: number,
        public readonly limit: number,
    ) {
        super(
            `manifest ${reference} for ${repository} is ${sizeText(size)}, over the ${sizeText(limit)} that ` +
                `registries take for a manifest (distribution on push, containerd on pull); not pushing it`,
        );
    }
}

/** The registry answered with something the protocol does not allow (bad digest header, 4xx on push...). */
export class RegistryProtocolError extends RegistryError {}

/** A duration as messages give it: "120 s", "1.5 s", "250 ms". */
export function duration(ms: number): string {
    return ms >= 1000 && ms % 100 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * The client's registry metadata calls (manifests, tags, tokens, referrers) took longer, all told,
 * than `deadlineMs`: a registry that answers each request just inside its timeout cannot keep a
 * command running for hours. Not worth another try: the time is gone.
 */
export class RegistryDeadlineError extends RegistryError {
    constructor(
        public readonly what: string,
        public readonly deadlineMs: number,
        /** How far it got, for the message: "after 7 pages". */
        progress?: string,
    ) {
        super(
            `${what}: gave up${progress ? ` ${progress}` : ""}: registry metadata calls (manifests, tags, tokens, referrers) took longer than their ${duration(deadlineMs)} deadline`,
        );
    }
}

/** applyTags failed after writing some tags; names exactly which were applied. */
export class PartialTagError extends RegistryError {
    constructor(
        public readonly repository: string,
        public readonly applied: string[],
        public readonly notApplied: string[],
        public readonly restored: string[],
        public readonly causeError: Error,
    ) {
        super(
            `applying tags to ${repository} failed: ${causeError.message}; applied: ${applied.join(", ") || "none"}; not applied: ${notApplied.join(", ") || "none"}; restored to previous digest: ${restored.join(", ") || "none"}`,
            causeError instanceof RegistryError ? causeError : undefined,
        );
    }
}

/** At most this much of a refusal's body goes into its message. */
const QUOTED_BODY_CHARS = 300;

/**
 * The one place a reply's status line and body become message text. Everything a registry says that
 * reaches a message passes here, so this is where its text is made safe to print.
 */
function statusLine(reply: CheckedReply): string {
    const line = printable(`${reply.status} ${reply.statusText}`).trim();
    if (!reply.quoteBody) return line;
    return `${line}: ${printable((reply.body ?? Buffer.alloc(0)).toString("utf8")).slice(0, QUOTED_BODY_CHARS)}`;
}

/** The error for a reply whose status its request does not accept: "<what> answered <status>". */
export function statusError(reply: CheckedReply): RegistryProtocolError {
    return new RegistryProtocolError(`${reply.what} answered ${statusLine(reply)}`, reply);
}

/** Throws `statusError(reply)` unless the reply's status is one of `ok` (ggcr's transport.CheckError). */
export function checkStatus(reply: CheckedReply, ...ok: number[]): void {
    if (!ok.includes(reply.status)) throw statusError(reply);
}
