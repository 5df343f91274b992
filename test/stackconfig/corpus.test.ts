import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { editStackText, isPlainSafe, StackEdits } from "../../src/stackconfig";
import { CORPUS, NEW, OLD, PROMOTE, ROLLBACK } from "../fixtures/stacks/corpusEdits";

/**
 * Each row: a corpus file, the edits, and the exact substitutions that turn the file into the edited
 * one. Every byte outside them must be the file's own, so the expected text is the fixture with only
 * those substitutions applied.
 */
const rows: { file: string; kind: string; edits: StackEdits; subs: [string, string][] }[] = [
    {
        file: "pulumi-written.yaml",
        kind: "promote",
        edits: PROMOTE,
        subs: [
            [OLD, NEW],
            ["version: 1.4.2\n", "version: 1.5.0\n"],
            ['gitSha: "0123456"', 'gitSha: "4567890"'],
        ],
    },
    {
        file: "pulumi-written.yaml",
        kind: "rollback",
        edits: ROLLBACK,
        subs: [
            [OLD, NEW],
            ["version: 1.4.2\n", "version: 1.3.9\n"],
            ['gitSha: "0123456"', 'gitSha: "89abcde"'],
            ["  image-release:promotedFrom: staging\n", ""],
        ],
    },
    {
        file: "unindented-seq-no-eol.yaml",
        kind: "promote",
        edits: PROMOTE,
        subs: [
            [OLD, NEW],
            ["version: 1.4.2\n", "version: 1.5.0\n"],
            ["gitSha: 0123abc", 'gitSha: "4567890"'],
            ["promotedFrom: dev", "promotedFrom: staging"],
        ],
    },
    {
        file: "crlf.yaml",
        kind: "promote",
        edits: PROMOTE,
        subs: [
            [OLD, NEW],
            ["version: 1.4.2\r\n", "version: 1.5.0\r\n"],
            ["gitSha: 0123abc", 'gitSha: "4567890"'],
            ["promotedFrom: dev", "promotedFrom: staging"],
        ],
    },
    {
        file: "crlf.yaml",
        kind: "rollback",
        edits: ROLLBACK,
        subs: [
            [OLD, NEW],
            ["version: 1.4.2\r\n", "version: 1.3.9\r\n"],
            ["gitSha: 0123abc", "gitSha: 89abcde"],
            ["    image-release:promotedFrom: dev\r\n", ""],
        ],
    },
    {
        file: "flow-and-quotes.yaml",
        kind: "promote",
        edits: PROMOTE,
        subs: [
            [`'${OLD}'`, `'${NEW}'`],
            ['version: "1.4.2"', 'version: "1.5.0"'],
            ["gitSha: 0123abc", 'gitSha: "4567890"'],
            ["promotedFrom: dev", "promotedFrom: staging"],
        ],
    },
    {
        file: "bom-comments.yaml",
        kind: "promote",
        edits: PROMOTE,
        subs: [
            [`${OLD} # the pin`, `${NEW} # the pin`],
            ["version: 1.4.2   # its version", "version: 1.5.0   # its version"],
            ["gitSha: 0123abc", 'gitSha: "4567890"'],
            ["promotedFrom: dev", "promotedFrom: staging"],
        ],
    },
    {
        file: "unindented-seq-no-eol.yaml",
        kind: "rollback",
        edits: ROLLBACK,
        subs: [
            [OLD, NEW],
            ["version: 1.4.2\n", "version: 1.3.9\n"],
            ["gitSha: 0123abc", "gitSha: 89abcde"],
            ["  image-release:promotedFrom: dev\n", ""],
        ],
    },
    {
        file: "flow-and-quotes.yaml",
        kind: "rollback",
        edits: ROLLBACK,
        subs: [
            [`'${OLD}'`, `'${NEW}'`],
            ['version: "1.4.2"', 'version: "1.3.9"'],
            ["gitSha: 0123abc", "gitSha: 89abcde"],
            ["  image-release:promotedFrom: dev\n", ""],
        ],
    },
    {
        file: "bom-comments.yaml",
        kind: "rollback",
        edits: ROLLBACK,
        subs: [
            [`${OLD} # the pin`, `${NEW} # the pin`],
            ["version: 1.4.2   # its version", "version: 1.3.9   # its version"],
            ["gitSha: 0123abc", "gitSha: 89abcde"],
            ["  image-release:promotedFrom: dev\n", ""],
        ],
    },
    {
        file: "missing-keys-crlf-no-eol.yaml",
        kind: "rollback",
        edits: ROLLBACK,
        subs: [
            [OLD, NEW],
            [`${NEW}\r\n`, `${NEW}\r\n    image-release:version: 1.3.9\r\n`],
            ["gitSha: 0123abc", "gitSha: 89abcde"],
        ],
    },
    {
        file: "missing-keys-crlf-no-eol.yaml",
        kind: "promote",
        edits: PROMOTE,
        subs: [
            [OLD, NEW],
            [`${NEW}\r\n`, `${NEW}\r\n    image-release:version: 1.5.0\r\n`],
            [
                "    image-release:gitSha: 0123abc",
                '    image-release:gitSha: "4567890"\r\n    image-release:promotedFrom: staging',
            ],
        ],
    },
];

function applySubs(text: string, subs: [string, string][]): string {
    let out = text;
    for (const [from, to] of subs) {
        assert.strictEqual(out.split(from).length, 2, `"${from}" must occur exactly once`);
        out = out.replace(from, to);
    }
    return out;
}

describe("stack file corpus: promote and rollback change only the pin's bytes", () => {
    for (const r of rows) {
        it(`${r.kind}: ${r.file}`, () => {
            const text = fs.readFileSync(path.join(CORPUS, r.file), "utf8");
            const edited = editStackText(r.file, text, r.edits);
            assert.strictEqual(edited, applySubs(text, r.subs));
            // Editing again with the same values changes nothing more.
            assert.strictEqual(editStackText(r.file, edited, r.edits), edited);
        });
    }
});

describe("isPlainSafe: a plain scalar every reader (YAML 1.1, 1.2, the engine's yaml.v3) takes as this string", () => {
    const cases: [string, boolean][] = [
        [NEW, true],
        ["1.5.0", true],
        ["0123abc", true],
        ["staging", true],
        ["4567890", false], // an int
        ["0123456", false], // an int (octal in YAML 1.1)
        ["1234e56", false], // a float to yaml.v3, not to YAML 1.2
        ["1.5", false], // a float
        ["yes", false], // a bool in YAML 1.1
        ["on", false],
        ["null", false],
        ["~", false],
        ["2026-11-01", false], // a timestamp in YAML 1.1
        ["1:20", false], // sexagesimal in YAML 1.1
        ["", false],
        [" padded", false],
        ["a #b", false],
        ["key: value", false],
        ["-x", false],
        ["*alias", false],
        // Line breaks to YAML 1.1 readers (yaml.v3, the engine's): plain, they would end the line.
        ["0123abc\u2028image-release:kubeContext: attacker-cluster", false],
        ["0123abc\u2029x", false],
        ["0123abc\u0085x", false],
    ];
    for (const [value, safe] of cases) {
        it(`${JSON.stringify(value)} -> ${safe}`, () => assert.strictEqual(isPlainSafe(value), safe));
    }
});
