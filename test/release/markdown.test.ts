import * as assert from "assert";
import { code, codeSpan, fencedBlock, inlineText, md, showUnprintable, tableRow } from "../../src/release";

const D = "sha256:" + "1".repeat(64);

describe("release/markdown: untrusted text renders as itself, never as Markdown", () => {
    const spans: { name: string; value: string; out: string }[] = [
        { name: "a digest", value: D, out: `\`${D}\`` },
        { name: "a backtick inside: a longer fence", value: "a`b", out: "``a`b``" },
        { name: "a run of two inside: a fence of three", value: "x``y`z", out: "```x``y`z```" },
        { name: "a leading backtick: padded, or it would join the fence", value: "`a", out: "`` `a ``" },
        { name: "a trailing backtick: padded", value: "a`", out: "`` a` ``" },
        { name: "space on both sides: padded, or CommonMark strips one", value: " a ", out: "`  a  `" },
        { name: "only spaces: kept as they are", value: "  ", out: "`  `" },
        { name: "empty: a code span of one space", value: "", out: "` `" },
        {
            name: "a newline: shown, never a new block",
            value: "1.4.1\n## Security review",
            out: "`1.4.1\\n## Security review`",
        },
        { name: "CR LF", value: "a\r\nb", out: "`a\\r\\nb`" },
        { name: "U+2028", value: "a\u2028b", out: "`a\\u2028b`" },
        { name: "a right-to-left override", value: "a\u202eb", out: "`a\\u202eb`" },
        { name: "an escape sequence", value: "\u001b[31m", out: "`\\u001b[31m`" },
        { name: "a tab stays", value: "a\tb", out: "`a\tb`" },
        { name: "an HTML comment is text in a code span", value: "<!-- x -->", out: "`<!-- x -->`" },
        { name: "a pipe: escaped by the table row, not here", value: "a|b", out: "`a|b`" },
    ];
    for (const r of spans) it(`codeSpan: ${r.name}`, () => assert.strictEqual(codeSpan(r.value), r.out));

    const inline: { name: string; value: string; out: string }[] = [
        { name: "a version", value: "1.4.1", out: "1.4.1" },
        { name: "a pre-release version", value: "2.0.0-rc.1+build.5", out: "2.0.0-rc.1+build.5" },
        { name: "a stack", value: "staging", out: "staging" },
        { name: "a path", value: ".image-release/outputs/dev.json", out: ".image-release/outputs/dev.json" },
        { name: "a timestamp", value: "2024-01-02T12:00:00Z", out: "2024-01-02T12:00:00Z" },
        { name: "a key id", value: "sha256:0123456789abcdef", out: "sha256:0123456789abcdef" },
        {
            name: "a sentence with a reference",
            value: "release notes unavailable: tag 1.4.1 not found in repo 127.0.0.1:5000/a/b; release it first",
            out: "release notes unavailable: tag 1.4.1 not found in repo 127.0.0.1:5000/a/b; release it first",
        },
        { name: "a heading", value: "## Security review", out: "`## Security review`" },
        { name: "a newline", value: "x\n## Security review", out: "`x\\n## Security review`" },
        { name: "an HTML comment", value: "1.4.1 <!--", out: "`1.4.1 <!--`" },
        { name: "an entity", value: "&lt;", out: "`&lt;`" },
        { name: "a link", value: "[review](https://evil.example)", out: "`[review](https://evil.example)`" },
        { name: "a bare URL (GFM autolink)", value: "https://evil.example", out: "`https://evil.example`" },
        { name: "a www. autolink", value: "see www.evil.example", out: "`see www.evil.example`" },
        {
            name: "an autolink in angle brackets",
            value: "<https://evil.example>",
            out: "`<https://evil.example>`",
        },
        { name: "an email (autolink)", value: "a@evil.example", out: "`a@evil.example`" },
        { name: "a mention", value: "@org/security-team", out: "`@org/security-team`" },
        { name: "an issue reference", value: "fixes #1", out: "`fixes #1`" },
        { name: "a GH- reference", value: "GH-12", out: "`GH-12`" },
        { name: "emphasis", value: "*approved*", out: "`*approved*`" },
        {
            name: "an underscore inside a word",
            value: "prod_eu com.example.my_label",
            out: "prod_eu com.example.my_label",
        },
        { name: "underscore emphasis", value: "_approved_", out: "`_approved_`" },
        { name: "an underscore after punctuation", value: "a._b_", out: "`a._b_`" },
        { name: "strikethrough", value: "~~x~~", out: "`~~x~~`" },
        { name: "a table row", value: "x | y", out: "`x | y`" },
        { name: "a backslash", value: "a\\", out: "`a\\`" },
        { name: "a backtick", value: "a`b", out: "``a`b``" },
        { name: "leading space", value: " x", out: "` x`" },
        { name: "double space", value: "a  b", out: "`a  b`" },
        { name: "non-ASCII", value: "café", out: "`café`" },
        { name: "empty", value: "", out: "` `" },
    ];
    for (const r of inline) it(`inlineText: ${r.name}`, () => assert.strictEqual(inlineText(r.value), r.out));

    const rows: { name: string; cells: string[]; out: string }[] = [
        { name: "plain cells", cells: ["linux/amd64", codeSpan(D)], out: `| linux/amd64 | \`${D}\` |` },
        {
            name: "a pipe in a code span is escaped too (GFM)",
            cells: [inlineText("a|b"), "x"],
            out: "| `a\\|b` | x |",
        },
        { name: "a backslash before a pipe", cells: [inlineText("a\\|b")], out: "| `a\\\\|b` |" },
    ];
    for (const r of rows) it(`tableRow: ${r.name}`, () => assert.strictEqual(tableRow(r.cells), r.out));

    const blocks: { name: string; info: string; text: string; out: string }[] = [
        { name: "a diff", info: "diff", text: "-x\n+y\n", out: "```diff\n-x\n+y\n```" },
        { name: "without a final newline", info: "diff", text: "-x\n+y", out: "```diff\n-x\n+y\n```" },
        {
            name: "a fence inside: a longer fence",
            info: "diff",
            text: "+a: ```\n",
            out: "````diff\n+a: ```\n````",
        },
        {
            name: "a CR that would start a line: shown",
            info: "diff",
            text: "+a\r```\n",
            out: "````diff\n+a\\r```\n````",
        },
        {
            name: "a right-to-left override: shown",
            info: "diff",
            text: "+x\u202e\n",
            out: "```diff\n+x\\u202e\n```",
        },
    ];
    for (const r of blocks) {
        it(`fencedBlock: ${r.name}`, () => assert.strictEqual(fencedBlock(r.info, r.text), r.out));
    }

    it("showUnprintable: the characters a reader would not see, as escapes", () => {
        assert.strictEqual(
            showUnprintable("a\nb\rc\u0000\u007f\u0085\u2028\u2029\u200e\u2066\td"),
            "a\\nb\\rc\\u0000\\u007f\\u0085\\u2028\\u2029\\u200e\\u2066\td",
        );
    });

    it("md: the template's text is Markdown, every value is inert", () => {
        const rows: [string, string][] = [
            [
                md`${code("dev")} pinned it in a committed version of ${"stacks/Pulumi.dev.yaml"}`.text,
                "`dev` pinned it in a committed version of stacks/Pulumi.dev.yaml",
            ],
            [md`built in ${code("x` <!--")}`.text, "built in ``x` <!--``"],
            [md`version ${"1.4.1\n## Security review"}`.text, "version `1.4.1\\n## Security review`"],
            [md`a ${md`nested ${code("x")}`} b`.text, "a nested `x` b"],
        ];
        for (const [got, want] of rows) assert.strictEqual(got, want);
    });
});
