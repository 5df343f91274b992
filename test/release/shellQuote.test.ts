import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { shellCommand, shellQuote } from "../../src/release";

/** The shells a printed command is pasted into; each that is installed runs every row. */
const SHELLS = ["/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/zsh", "/bin/zsh"].filter((s) =>
    fs.existsSync(s),
);

describe("release/shellQuote: a printed value reaches the command as itself, and runs nothing", () => {
    const rows: { name: string; value: string; quoted: string }[] = [
        { name: "a version stays bare", value: "1.4.1", quoted: "1.4.1" },
        {
            name: "a branch stays bare",
            value: "promote/staging-1.4.1-111111111111",
            quoted: "promote/staging-1.4.1-111111111111",
        },
        {
            name: "a registry reference stays bare",
            value: "127.0.0.1:5000/x@sha256:ab",
            quoted: "127.0.0.1:5000/x@sha256:ab",
        },
        { name: "empty", value: "", quoted: "''" },
        { name: "spaces", value: "Promote hello 1.4.1", quoted: "'Promote hello 1.4.1'" },
        { name: "command substitution", value: "$(touch /tmp/pwned)", quoted: "'$(touch /tmp/pwned)'" },
        { name: "backticks", value: "`touch /tmp/pwned`", quoted: "'`touch /tmp/pwned`'" },
        { name: "a variable", value: "$HOME", quoted: "'$HOME'" },
        { name: "a single quote", value: "it's", quoted: "'it'\\''s'" },
        { name: "only a single quote", value: "'", quoted: "''\\'''" },
        { name: "double quotes", value: 'to "staging"', quoted: "'to \"staging\"'" },
        {
            name: "a newline stays inside the quotes",
            value: "1.4.1\ntouch /tmp/pwned",
            quoted: "'1.4.1\ntouch /tmp/pwned'",
        },
        {
            name: "command separators",
            value: "x; touch /tmp/pwned && y | z &",
            quoted: "'x; touch /tmp/pwned && y | z &'",
        },
        { name: "history expansion and globs", value: "!! * ?", quoted: "'!! * ?'" },
        { name: "a tilde", value: "~root", quoted: "'~root'" },
        // zsh's EQUALS option expands a bare `=ls` to the path of ls.
        { name: "a leading equals sign (zsh)", value: "=ls", quoted: "'=ls'" },
        // fish reads \\ and \' inside single quotes: a backslash goes outside them, escaped, for every shell.
        { name: "a backslash", value: "a\\b", quoted: "'a'\\\\'b'" },
        { name: "a trailing backslash", value: "a\\", quoted: "'a'\\\\''" },
        // A terminal acts on these instead of showing them (CR rewrites the line a user copies from), so they
        // are written as printf octal escapes: the pasted command still passes the exact bytes.
        {
            name: "a carriage return",
            value: "x\rtouch /tmp/pwned #",
            quoted: "'x'\"$(printf '\\015')\"'touch /tmp/pwned #'",
        },
        {
            name: "a terminal escape sequence",
            value: "\u001b]0;pwned\u0007",
            quoted: "\"$(printf '\\033')\"']0;pwned'\"$(printf '\\007')\"",
        },
        {
            name: "U+2028 (line separator)",
            value: "1.4.1\u2028touch /tmp/pwned",
            quoted: "'1.4.1'\"$(printf '\\342\\200\\250')\"'touch /tmp/pwned'",
        },
        {
            name: "a right-to-left override",
            value: "a\u202eb",
            quoted: "'a'\"$(printf '\\342\\200\\256')\"'b'",
        },
        { name: "a tab stays inside the quotes", value: "a\tb", quoted: "'a\tb'" },
        { name: "non-ASCII letters are quoted", value: "café", quoted: "'café'" },
        // Quoting is for the shell; an argument that starts with a dash is still an option to the program.
        // The printed commands put every value after a flag that takes it, or after `--`.
        {
            name: "a leading dash stays bare: quoting cannot stop option parsing",
            value: "-rf",
            quoted: "-rf",
        },
        {
            name: "a leading dash with a payload",
            value: "--upload-pack=touch /tmp/pwned",
            quoted: "'--upload-pack=touch /tmp/pwned'",
        },
    ];

    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "shellquote-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const r of rows) {
        it(`${r.name}: ${JSON.stringify(r.value)}`, () => {
            assert.strictEqual(shellQuote(r.value), r.quoted);
            for (const sh of SHELLS) {
                const out = spawnSync(sh, ["-c", `printf '%s' ${shellQuote(r.value)}`], { cwd: dir });
                assert.deepStrictEqual([sh, out.status, out.stdout.toString("utf8")], [sh, 0, r.value]);
            }
        });
    }

    it("a substitution in a pasted value runs nothing, in any installed shell", () => {
        for (const sh of SHELLS) {
            const value =
                "$(touch pwned1)`touch pwned2`'$(touch pwned3)'\"$(touch pwned4)\"\n$(touch pwned5)";
            const out = spawnSync(sh, ["-c", `printf '%s' ${shellQuote(value)}`], { cwd: dir });
            assert.deepStrictEqual([sh, out.stdout.toString("utf8"), fs.readdirSync(dir)], [sh, value, []]);
        }
    });

    it("shellCommand quotes every word, and leaves safe words bare", () => {
        assert.strictEqual(
            shellCommand(["gh", "pr", "create", "--title", "Promote x 1.4.1$(id)", "--body-file", "a b.md"]),
            "gh pr create --title 'Promote x 1.4.1$(id)' --body-file 'a b.md'",
        );
    });
});
