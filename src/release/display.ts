import { redactCredentials } from "./reference";

/**
 * Characters that show as nothing, or move other text, in a terminal, a diff or a PR: C0 and C1
 * controls, DEL, U+2028/U+2029 (line breaks to YAML 1.1 readers such as Pulumi's), zero-width and
 * bidirectional marks, the soft hyphen and the BOM.
 */
const INVISIBLE =
    /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * A bad value as an error message quotes it: a string as written, anything else as JSON, and every
 * invisible character as `\uXXXX`, so the reader sees exactly what was refused; credentials in a URL or
 * reference (`user:password@host`) never reach a message, a log or CI output.
 */
export function showValue(v: unknown): string {
    const text = redactCredentials(typeof v === "string" ? v : (JSON.stringify(v) ?? String(v)));
    return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
