import { UNPRINTABLE } from "./unprintable";

/**
 * Untrusted text (image labels, platform strings, record fields, registry messages) in GitHub Markdown
 * renders as itself: never a heading, a list, a table row, raw HTML, a link, a mention or a reference.
 * The rule is the shell's: a value that is plain stays bare, any other goes in a code span, which GitHub
 * shows as text and never links. Line breaks and other characters a reader would not see are shown as
 * escapes, because a line break in a value would start a new Markdown block before any span is read.
 */

/** `\n`, `\r`, or `\uXXXX`, for each character in {@link UNPRINTABLE}; anything else as it is. */
export function showUnprintable(value: string): string {
    return value.replace(UNPRINTABLE, (c) =>
        c === "\n" ? "\\n" : c === "\r" ? "\\r" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
}

function longestBacktickRun(text: string): number {
    let longest = 0;
    for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
    return longest;
}

/**
 * A CommonMark code span that shows `value` exactly (spec 6.1): its fence is one backtick longer than any
 * run inside, and a space pads a value that starts or ends with a backtick (or with a space at both ends,
 * which CommonMark would strip). An empty value is one space. A pipe is left for {@link tableRow}.
 */
export function codeSpan(value: string): string {
    const v = showUnprintable(value);
    if (v === "") return "` `";
    const fence = "`".repeat(longestBacktickRun(v) + 1);
    const pad = /^`|`$/.test(v) || (/^ .* $/s.test(v) && v.trim() !== "") ? " " : "";
    return `${fence}${pad}${v}${pad}${fence}`;
}

/**
 * Plain: ASCII words of letters, digits, `.,;=+()/:-` and `_` between two of the letters or digits (where
 * CommonMark never reads it as emphasis), single spaces between the words. None of these starts emphasis,
 * a link, HTML, an entity, a mention (`@`) or a reference (`#1`) in running text.
 */
const WORD = String.raw`(?:[A-Za-z0-9.,;=+()/:-]|(?<=[A-Za-z0-9])_(?=[A-Za-z0-9]))+`;
const PLAIN = new RegExp(`^${WORD}(?: ${WORD})*$`);
/** What GitHub links in plain text: `scheme://` and `www.` (GFM autolinks) and `GH-1` (an issue). */
const LINKED = /:\/\/|(?:^|[^A-Za-z0-9])(?:www\.|gh-\d)/i;

/**
 * An untrusted value in running text (never at the start of a line): bare when plain, so a version, a
 * stack, a path or a timestamp reads as before; otherwise a {@link codeSpan}.
 */
export function inlineText(value: string): string {
    return PLAIN.test(value) && !LINKED.test(value) ? value : codeSpan(value);
}

/**
 * A GFM table row of rendered cells. Every pipe is escaped, inside code spans too: GFM splits cells
 * before it reads any span (spec 4.10), and shows `\|` in a code span as `|`.
 */
export function tableRow(cells: readonly string[]): string {
    return `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
}

/**
 * A fenced code block of `text` (one final newline dropped): its fence is longer than any backtick run in
 * it, so no line of the text closes the block early. Characters that act instead of showing are shown as
 * escapes, a CR too (CommonMark reads a lone CR as a line ending); its line breaks stay.
 */
export function fencedBlock(info: string, text: string): string {
    const body = text
        .replace(/\n$/, "")
        .split("\n")
        .map((line) => showUnprintable(line))
        .join("\n");
    const fence = "`".repeat(Math.max(3, longestBacktickRun(body) + 1));
    return `${fence}${info}\n${body}\n${fence}`;
}

/** Markdown whose every untrusted value was rendered inert: build it with {@link md} and {@link code}. */
export class Markdown {
    private constructor(readonly text: string) {}

    /** @internal For {@link md} and {@link code} only: `text` must already be safe Markdown. */
    static of(text: string): Markdown {
        return new Markdown(text);
    }

    toString(): string {
        return this.text;
    }
}

/** An untrusted value as a {@link codeSpan}, for {@link md}. */
export function code(value: string): Markdown {
    return Markdown.of(codeSpan(value));
}

/**
 * A line of Markdown from a template: the template's own text is Markdown, each string value goes in as
 * {@link inlineText}, and a {@link Markdown} value (from `code()` or another `md`) as it is. So a line
 * like "`dev` exported it (version 1.4.1)" can be built where the values are, and rendered later.
 */
export function md(template: TemplateStringsArray, ...values: (string | Markdown)[]): Markdown {
    let text = template[0];
    values.forEach((v, i) => {
        text += (v instanceof Markdown ? v.text : inlineText(v)) + template[i + 1];
    });
    return Markdown.of(text);
}
