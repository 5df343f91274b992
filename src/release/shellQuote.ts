import { UNPRINTABLE } from "./unprintable";

/** What every POSIX shell reads literally outside quotes (Python's `shlex.quote` set), not first `=`. */
const BARE = /^(?!=)[A-Za-z0-9_@%+=:,./-]+$/;

/** A character a terminal would act on, written so the shell still passes its exact bytes. */
function printfEscape(c: string): string {
    const octal = [...Buffer.from(c, "utf8")].map((b) => `\\${b.toString(8).padStart(3, "0")}`);
    return `"$(printf '${octal.join("")}')"`;
}

/**
 * One word of a command that a user pastes into a shell: a value that is safe stays bare, any other goes
 * in single quotes, where nothing is special but the closing quote (`'` is written `'\''`). A backslash
 * goes outside the quotes as `\\`, the same for POSIX shells and for fish, which reads `\\` and `\'` inside
 * single quotes. Characters that would act on the terminal showing the command (a CR hides what comes
 * before it from whoever copies the line) go as `"$(printf '\ooo')"`, so the pasted command still passes
 * the value's exact bytes. Quoting is about the shell only: a value that starts with `-` is still an
 * option to the program, so commands put values after a flag that takes them, or after `--`.
 */
export function shellQuote(value: string): string {
    if (BARE.test(value)) return value;
    const quoted = (run: string) => `'${run.replace(/['\\]/g, (c) => (c === "'" ? "'\\''" : "'\\\\'"))}'`;
    let out = "";
    let last = 0;
    for (const m of value.matchAll(UNPRINTABLE)) {
        // A newline stays inside the quotes: `$(…)` would drop it, and it shows as what it is.
        if (m[0] === "\n") continue;
        if (m.index > last) out += quoted(value.slice(last, m.index));
        out += printfEscape(m[0]);
        last = m.index + m[0].length;
    }
    return last < value.length || value === "" ? out + quoted(value.slice(last)) : out;
}

/**
 * A command line to print for the user to paste: each word quoted by {@link shellQuote}, so a version,
 * branch, title or file name reaches the program as itself and runs nothing.
 */
export function shellCommand(words: readonly string[]): string {
    return words.map(shellQuote).join(" ");
}
