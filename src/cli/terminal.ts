import { showUnprintable } from "../release";
import { Io } from "./context";

/**
 * Text as a terminal should get it. Registry error bodies, image labels, record fields and commit messages
 * can hold characters a terminal acts on instead of showing (ESC and C1 start sequences that clear the
 * screen, retitle the window or forge a hyperlink; CR rewrites the line; bidi marks reorder it). Each of
 * them (release/unprintable) but the line break shows as its escape: `\r`, `\u001b`, `\u202e`. A tab
 * stays. JSON passes through unchanged in meaning: JSON.stringify has escaped C0 already, and the escapes
 * added here (DEL, C1, U+2028/2029, bidi) are JSON's own, so the text parses to the same values.
 * Already-escaped text is ASCII, so this is idempotent.
 */
export function terminalText(text: string): string {
    return text.split("\n").map(showUnprintable).join("\n");
}

/** The one place output leaves the CLI: everything written to stdout or stderr goes through here. */
export function terminalIo(io: Io): Io {
    return {
        out: (s) => io.out(terminalText(s)),
        err: (s) => io.err(terminalText(s)),
        ...(io.tty ? { tty: io.tty } : {}),
    };
}
