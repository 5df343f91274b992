import * as assert from "assert";
import { ManifestNotFoundError, RegistryClient } from "../../src/registry";
import { makeRepo, writeDevOutputs } from "../fixtures/cli/repo";
import { CliRun, runIn } from "../helpers/cli";

const D = `sha256:${"1".repeat(64)}`;
const A = `sha256:${"a".repeat(64)}`;
const REPO = "127.0.0.1:5000/test/cli-terminal";

/** What a terminal acts on instead of showing: C0 but line feed and tab, DEL, C1, U+2028/2029, bidi. */
const ACTS =
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A clear-screen, a forged hyperlink (OSC 8), a C1 CSI, a right-to-left override, a line separator. */
const CLEAR = "\u001b[2J";
const LINK = "\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007";
const LABELS = {
    "org.opencontainers.image.title": `hello${LINK}`,
    "test.clear": `x${CLEAR}y`,
    "test.c1": "\u009b2J\u007f",
    "test.bidi": "abc\u202edef\u2066",
    "test.lines": "a\u2028b\u2029c\rd",
};

/** A registry that holds 1.4.2 with hostile labels, and answers `fail` to the tags it is told to. */
function registry(fail?: string): RegistryClient {
    const head = (_name: string, ref: string) =>
        fail !== undefined && !ref.startsWith("sha256:")
            ? Promise.reject(new Error(fail))
            : Promise.resolve({ digest: D, mediaType: "application/vnd.oci.image.index.v1+json", size: 1 });
    return {
        headManifest: head,
        listTags: () => Promise.resolve(["1.4.2"]),
        describe: () =>
            Promise.resolve({
                digest: D,
                platforms: [
                    { platform: "linux/amd64", os: "linux", architecture: "amd64", digest: A, size: 1 },
                ],
                labels: LABELS,
            }),
        getManifest: (name: string, ref: string) => Promise.reject(new ManifestNotFoundError(name, ref)),
    } as unknown as RegistryClient;
}

function assertInert(r: CliRun): void {
    for (const [name, text] of [
        ["stdout", r.stdout],
        ["stderr", r.stderr],
    ]) {
        const m = ACTS.exec(text);
        assert.strictEqual(
            m,
            null,
            `${name} has U+${m?.[0].charCodeAt(0).toString(16)}: ${JSON.stringify(text)}`,
        );
    }
}

describe("cli: what registries and records say reaches the terminal inert", () => {
    const dir = makeRepo(REPO, D);
    const cli = (args: string[], fail?: string) =>
        runIn([...args, "--repo-root", dir], { client: registry(fail) });

    it("notes: labels with a clear-screen, a hyperlink, C1, bidi and line separators show as escapes", async () => {
        const r = await cli(["notes", "--version", "1.4.2", "--repository", REPO]);
        assertInert(r);
        assert.strictEqual(r.code, 0, r.stderr);
        const lines = r.stdout.split("\n");
        for (const want of [
            "| org.opencontainers.image.title | `hello\\u001b]8;;https://evil.example\\u0007click\\u001b]8;;\\u0007` |",
            "| test.clear | `x\\u001b[2Jy` |",
            "| test.c1 | `\\u009b2J\\u007f` |",
            "| test.bidi | `abc\\u202edef\\u2066` |",
            "| test.lines | `a\\u2028b\\u2029c\\rd` |",
        ]) {
            assert.ok(lines.includes(want), `${want}\n${r.stdout}`);
        }
    });

    it("notes --json: still JSON with the same values, every such character a \\u escape", async () => {
        const r = await cli(["notes", "--version", "1.4.2", "--repository", REPO, "--json"]);
        assertInert(r);
        assert.deepStrictEqual((JSON.parse(r.stdout) as { labels: unknown }).labels, LABELS);
        for (const escaped of [
            "\\u001b[2J",
            "\\u001b]8;;https://evil.example\\u0007",
            "\\u009b2J\\u007f",
            "abc\\u202edef\\u2066",
            "a\\u2028b\\u2029c\\rd",
        ]) {
            assert.ok(r.stdout.includes(escaped), `${escaped}\n${r.stdout}`);
        }
    });

    it("a version with a hyperlink in a refusal on stderr", async () => {
        const r = await cli(["notes", "--version", `1.4.2${LINK}`]);
        assertInert(r);
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                2,
                "",
                'image-release: --version "1.4.2\\u001b]8;;https://evil.example\\u0007click\\u001b]8;;\\u0007" is not a semver version (X.Y.Z, e.g. 1.4.2)\n',
            ],
        );
    });

    it("a registry error body with a clear-screen and a hyperlink: in the status table and on stderr", async () => {
        const body = `denied: ${CLEAR}${LINK}\u009b\u202e`;
        const shown =
            "denied: \\u001b[2J\\u001b]8;;https://evil.example\\u0007click\\u001b]8;;\\u0007\\u009b\\u202e";
        writeDevOutputs(dir, REPO, D, "1.4.2", { "linux/amd64": A });
        const status = await cli(["status"], body);
        assertInert(status);
        assert.strictEqual(status.code, 1);
        assert.ok(status.stdout.includes(`error: ${shown}`), status.stdout);
        // The columns line up as shown: DRIFT's column starts where each row's "no" does.
        const [header, ...rows] = status.stdout.trimEnd().split("\n");
        assert.deepStrictEqual(
            rows.map((l) => l.lastIndexOf(" no") + 1),
            rows.map(() => header.indexOf("DRIFT")),
        );
        const notes = await cli(["notes", "--version", "1.4.2", "--repository", REPO], body);
        assertInert(notes);
        assert.deepStrictEqual(
            [notes.code, notes.stdout, notes.stderr],
            [1, "", `image-release: ${shown}\n`],
        );
    });
});
