/**
 * Characters that act instead of showing: the C0 and C1 controls and DEL (a CR makes a terminal rewrite
 * the line a user copies from, ESC starts a control sequence, LF starts a new Markdown block), the Unicode
 * line and paragraph separators (YAML and JavaScript read them as line breaks), and the bidirectional
 * formatting marks that reorder what a reader sees (CVE-2021-42574, "Trojan Source"). Tab is not one:
 * it shows as space everywhere a value goes. Global: use with `replace`.
 */
export const UNPRINTABLE =
    /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
