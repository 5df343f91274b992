import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { notes, notesForDigest, renderNotes } from "../../src/flows";
import { ManifestNotFoundError, RegistryClient } from "../../src/registry";
import { makeRepo } from "../fixtures/cli/repo";
import { NotesRepo, notesRepo, releasedForNotes } from "../fixtures/cli/notes";
import { testClient } from "../fixtures/cli/scenarios";

const client = testClient();
const deps = { client };

/** The test client, counting the calls that walk a repository's tags. */
class CountingClient extends RegistryClient {
    public calls: string[] = [];
    constructor() {
        super({ retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 }, timeoutMs: 5000 });
    }
    async listTags(name: string): Promise<string[]> {
        this.calls.push(`listTags ${name}`);
        return super.listTags(name);
    }
    async headManifest(name: string, ref: string): ReturnType<RegistryClient["headManifest"]> {
        this.calls.push(`headManifest ${name}:${ref}`);
        return super.headManifest(name, ref);
    }
}

describe("notes @integration", () => {
    let c: NotesRepo;

    before(async () => {
        c = await notesRepo(client);
    });

    it("notes: Markdown and JSON, exact, and files written", async () => {
        const { dir, want, md } = c;
        const n = await notes({ stacksDir: path.join(dir, "stacks"), repoRoot: dir, version: "1.4.2" }, deps);
        assert.deepStrictEqual(n, want);
        assert.strictEqual(
            fs.readFileSync(path.join(dir, ".image-release", "notes", "1.4.2.md"), "utf8"),
            md,
        );
        assert.strictEqual(
            fs.readFileSync(path.join(dir, ".image-release", "notes", "1.4.2.json"), "utf8"),
            JSON.stringify(want, null, 2) + "\n",
        );
    });

    it("notes: unknown version is refused", async () => {
        const { repo, dir } = c;
        await assert.rejects(
            notes({ stacksDir: path.join(dir, "stacks"), repoRoot: dir, version: "9.9.9" }, deps),
            {
                message: `tag 9.9.9 not found in repo ${repo}; release it first`,
            },
        );
    });

    it("notesForDigest: the notes of one known digest from the tags the caller knows; no tag listing, no HEAD, no file", async () => {
        const { repo, img, dir, want, md } = c;
        const counting = new CountingClient();
        const notesDir = path.join(dir, ".image-release", "notes");
        fs.rmSync(notesDir, { recursive: true, force: true });
        const n = await notesForDigest(
            {
                stacksDir: path.join(dir, "stacks"),
                repoRoot: dir,
                repository: repo,
                digest: img.indexDigest,
                version: "1.4.2",
                // In any order: the notes list them in the tag set's order.
                tags: ["staging", "git-0123abc", "1", "1.4.2", "1.4"],
            },
            { client: counting },
        );
        assert.deepStrictEqual([n, renderNotes(n), counting.calls], [want, md, []]);
        assert.strictEqual(fs.existsSync(notesDir), false);
    });
});

describe("release notes and `notes` agree on which stacks run the release @integration", () => {
    it("release --repository elsewhere: both say dev runs it (dev's record counts), byte-identical", async () => {
        const { dir, result: r, md } = await releasedForNotes(client);
        const file = path.join(dir, ".image-release", "notes", "3.1.0.md");
        assert.deepStrictEqual([r.notes.stacks, fs.readFileSync(file, "utf8")], [["dev"], md]);
        const json = fs.readFileSync(path.join(dir, ".image-release", "notes", "3.1.0.json"), "utf8");
        // `notes` right after, with no repository: the release's repository, the same text.
        const n = await notes({ stacksDir: path.join(dir, "stacks"), repoRoot: dir, version: "3.1.0" }, deps);
        assert.deepStrictEqual([renderNotes(n), JSON.stringify(n, null, 2) + "\n"], [md, json]);
    });
});

describe("renderNotes: the notes file renders registry values as text", () => {
    const D = `sha256:${"1".repeat(64)}`;
    const A = `sha256:${"a".repeat(64)}`;
    const n = {
        version: "1.4.2",
        repository: "127.0.0.1:5000/team/hello<!--",
        digest: D,
        tags: ["1.4.2"],
        platformDigests: { "linux/amd64 | x |": A },
        labels: {
            "org.opencontainers.image.title": "hello\n## Security review\nApproved",
            "org.opencontainers.image.source": "https://example.test/team/hello",
            ok: "<!--",
        },
        stacks: ["dev"],
        signature: { ref: "r:sha256-1.sig", signatures: 1, verifiedBy: ["sha256:0123456789abcdef"] },
        attestations: ["https://spdx.dev/Document (signed by sha256:0123456789abcdef)"],
    };

    it("title, platforms, labels, signers and attestations: code spans where not plain, pipes escaped", () => {
        assert.strictEqual(
            renderNotes(n),
            [
                "# `hello<!--` 1.4.2",
                "",
                `- Image: \`127.0.0.1:5000/team/hello<!--@${D}\``,
                "- Tags: `1.4.2`",
                "- Git commit: (unknown)",
                "- Running in: dev",
                "- Signature: `r:sha256-1.sig` (1; verified by sha256:0123456789abcdef)",
                "- Attestations: `https://spdx.dev/Document (signed by sha256:0123456789abcdef)`",
                "",
                "| Platform | Digest |",
                "| --- | --- |",
                `| \`linux/amd64 \\| x \\|\` | \`${A}\` |`,
                "",
                "| Label | Value |",
                "| --- | --- |",
                "| org.opencontainers.image.title | `hello\\n## Security review\\nApproved` |",
                "| org.opencontainers.image.source | `https://example.test/team/hello` |",
                "| ok | `<!--` |",
                "",
            ].join("\n"),
        );
    });
});

describe("notes: a version that is not semver writes nothing and asks the registry nothing", () => {
    const D = `sha256:${"1".repeat(64)}`;
    /** A registry that answers every question, as a hostile one would: a digest for any tag. */
    function answeringClient(calls: string[]): RegistryClient {
        const answer =
            (name: string, value: unknown) =>
            (...args: unknown[]) => {
                calls.push(`${name} ${args.map(String).join(" ")}`);
                return Promise.resolve(value);
            };
        return {
            headManifest: answer("headManifest", { digest: D, mediaType: "x", size: 1 }),
            listTags: answer("listTags", []),
            describe: answer("describe", { digest: D, platforms: [], labels: {} }),
            getManifest: (name: string, ref: string) => {
                calls.push(`getManifest ${name} ${ref}`);
                return Promise.reject(new ManifestNotFoundError(name, ref));
            },
        } as unknown as RegistryClient;
    }

    for (const version of ["../../x", "/tmp/image-release-notes-abs", "1.4.2/../../../x", "1.4"]) {
        it(`--version ${version}`, async () => {
            const dir = makeRepo("127.0.0.1:5000/test/notes-path", D);
            const calls: string[] = [];
            await assert.rejects(
                notes(
                    { stacksDir: path.join(dir, "stacks"), repoRoot: dir, version, repository: "r/x" },
                    { client: answeringClient(calls) },
                ),
                {
                    name: "UsageRefusal",
                    message: `--version "${version}" is not a semver version (X.Y.Z, e.g. 1.4.2)`,
                },
            );
            assert.deepStrictEqual(
                [
                    calls,
                    fs.existsSync(path.join(dir, ".image-release")),
                    fs.existsSync(`${path.resolve(dir, ".image-release", "notes", version)}.md`),
                ],
                [[], false, false],
            );
        });
    }
});
