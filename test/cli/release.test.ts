import * as assert from "assert";
import { BAD_PLATFORMS } from "../fixtures/cli/badPlatforms";
import { execFile } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { run } from "../../src/cli";
import { RegistryClient } from "../../src/registry";
import { readVersion } from "../../src/release";
import { copyCheckout as copyCheckoutFixture, SHIPPED_REPOSITORY } from "../fixtures/checkout";
import { git, makeRepo } from "../fixtures/cli/repo";
import { runIn } from "../helpers/cli";

const client = new RegistryClient({
    retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
    timeoutMs: 10000,
});

/** This checkout in a throwaway repo whose stacks name `repository`, so the notes can say which stack runs it. */
function copyCheckout(repository: string): string {
    return copyCheckoutFixture(
        "image-release-quickstart-",
        (_stack, text) => text.split(SHIPPED_REPOSITORY).join(repository),
        { GIT_AUTHOR_DATE: "2024-01-02T12:00:00Z", GIT_COMMITTER_DATE: "2024-01-02T12:00:00Z" },
    );
}

/** The README quick start's main job, exactly as a user runs it. */
function npmRelease(
    dir: string,
    args: string[],
    env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const e = { ...process.env, ...env };
        delete e.SOURCE_DATE_EPOCH;
        execFile(
            "npm",
            ["run", "--silent", "release", "--", ...args],
            { cwd: dir, env: e },
            (err, stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stdout, stderr }),
        );
    });
}

describe("cli release @integration", function () {
    this.timeout(600000);

    it("refuses a dirty build context before building or pushing anything, naming the changed files", async () => {
        const repo = `127.0.0.1:5000/test-cli/dirty-${randomBytes(4).toString("hex")}`;
        const dir = copyCheckout(repo);
        const sha = git(dir, ["rev-parse", "HEAD"]).trim();
        fs.appendFileSync(path.join(dir, "examples/hello/Dockerfile"), "# local edit\n");
        fs.writeFileSync(path.join(dir, "examples/hello/rootfs/extra"), "not committed\n");
        // A change outside the context does not alter the image, so it does not count.
        fs.appendFileSync(path.join(dir, "README.md"), "local edit\n");
        const r = await npmRelease(dir, ["--repository", repo], {
            IMAGE_RELEASE_CACHE_DIR: path.join(dir, ".cache"),
        });
        const context = path.join(dir, "examples/hello");
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [
                1,
                "",
                `image-release: release refused: the build context ${context} has 2 uncommitted change(s) ( M examples/hello/Dockerfile, ?? examples/hello/rootfs/extra); ` +
                    `the image would not be commit ${sha.slice(0, 7)}, which its git-${sha.slice(0, 7)} tag and ` +
                    `org.opencontainers.image.revision label would name. Commit or stash them, then build again\n`,
            ],
        );
        assert.deepStrictEqual(await client.listTags(repo), []);
        assert.strictEqual(fs.existsSync(path.join(dir, ".image-release/outputs/dev.json")), false);
    });

    it("`npm run --silent release` builds examples/hello for amd64+arm64, tags it, and reuses it on a rerun", async () => {
        const repo = `127.0.0.1:5000/test-cli/hello-${randomBytes(4).toString("hex")}`;
        const dir = copyCheckout(repo);
        const env = { IMAGE_RELEASE_CACHE_DIR: path.join(dir, ".cache") };
        const sha = git(dir, ["rev-parse", "HEAD"]).trim();
        const version = readVersion(dir);
        const [maj, min] = version.split(".");
        const tags = [version, `${maj}.${min}`, maj, `git-${sha.slice(0, 7)}`, "dev"];

        const first = await npmRelease(dir, ["--repository", repo], env);
        assert.strictEqual(first.code, 0, first.stderr);

        // The truth is the registry: every tag of the set must resolve to one index digest.
        const heads = await Promise.all(tags.map((t) => client.headManifest(repo, t)));
        const digest = heads[0]?.digest as string;
        assert.match(digest, /^sha256:[0-9a-f]{64}$/);
        assert.deepStrictEqual(
            heads.map((h) => h?.digest),
            tags.map(() => digest),
        );
        const d = await client.describe(`${repo}@${digest}`);
        const platformDigests = Object.fromEntries(d.platforms.map((p) => [p.platform, p.digest]));
        assert.deepStrictEqual(Object.keys(platformDigests), ["linux/amd64", "linux/arm64"]);
        const labels = {
            "org.opencontainers.image.created": "2024-01-02T12:00:00Z",
            "org.opencontainers.image.revision": sha,
            "org.opencontainers.image.version": version,
        };
        assert.deepStrictEqual(d.labels, labels);

        const name = repo.split("/").pop();
        const notesMd = [
            `# ${name} ${version}`,
            "",
            `- Image: \`${repo}@${digest}\``,
            `- Tags: ${tags.map((t) => `\`${t}\``).join(", ")}`,
            `- Git commit: \`${sha}\``,
            "- Running in: dev",
            "",
            "| Platform | Digest |",
            "| --- | --- |",
            `| linux/amd64 | \`${platformDigests["linux/amd64"]}\` |`,
            `| linux/arm64 | \`${platformDigests["linux/arm64"]}\` |`,
            "",
            "| Label | Value |",
            "| --- | --- |",
            `| org.opencontainers.image.created | 2024-01-02T12:00:00Z |`,
            `| org.opencontainers.image.revision | ${sha} |`,
            `| org.opencontainers.image.version | ${version} |`,
            "",
        ].join("\n");
        const human = (suffix: string) =>
            [
                `released ${repo}@${digest}${suffix}`,
                `tags: ${tags.join(", ")}`,
                `linux/amd64: ${platformDigests["linux/amd64"]}`,
                `linux/arm64: ${platformDigests["linux/arm64"]}`,
                "record: .image-release/outputs/dev.json",
                "",
                notesMd,
            ].join("\n");
        const context = path.join(dir, "examples", "hello");
        assert.strictEqual(first.stdout, human(""));
        // Off a TTY, one line per layer once done: each platform's 3 layers compressed, the 4 distinct
        // ones pushed (the 2 RUN layers are the same on both platforms).
        const lines = first.stderr.split("\n");
        assert.strictEqual(lines[0], `image-release: building linux/amd64, linux/arm64 from ${context}`);
        assert.deepStrictEqual(lines.slice(-2), [`image-release: pushed index ${digest}`, ""]);
        const layerLines = lines.slice(1, -2).map((l) =>
            l
                .replace(/[0-9a-f]{12}/, "<id>")
                .replace(/[0-9.]+ (B|KiB|MiB)/g, "<n>")
                .replace(/ in [0-9.]+ s/, " in <t> s")
                .replace(/\(<n>\/s\)/, "(<rate>)"),
        );
        assert.deepStrictEqual(layerLines.sort(), [
            ...Array(3).fill("image-release: compressed layer <id> (linux/amd64): <n> -> <n> in <t> s"),
            ...Array(3).fill("image-release: compressed layer <id> (linux/arm64): <n> -> <n> in <t> s"),
            ...Array(4).fill("image-release: pushed layer <id>: <n> in <t> s (<rate>)"),
        ]);
        const record = {
            repository: repo,
            version,
            digest,
            ref: `${repo}@${digest}`,
            tags,
            platforms: ["linux/amd64", "linux/arm64"],
            platformDigests,
            gitSha: sha,
            sourceStack: "dev",
        };
        assert.strictEqual(
            fs.readFileSync(path.join(dir, ".image-release", "outputs", "dev.json"), "utf8"),
            JSON.stringify(record, null, 2) + "\n",
        );
        assert.strictEqual(
            fs.readFileSync(path.join(dir, ".image-release", "notes", `${version}.md`), "utf8"),
            notesMd,
        );

        // Written atomically: no temp file is left beside the record or the notes.
        assert.deepStrictEqual(
            [
                fs.readdirSync(path.join(dir, ".image-release", "outputs")),
                fs.readdirSync(path.join(dir, ".image-release", "notes")).sort(),
            ],
            [["dev.json"], [`${version}.json`, `${version}.md`]],
        );

        // Unchanged context: no engine call, the cached digest is verified in the registry and reused.
        const reuse = new RegExp(
            `^image-release: unchanged context sha256:[0-9a-f]{12}: reusing ${digest.replace(":", "\\:")}\n$`,
        );
        const second = await npmRelease(dir, ["--repository", repo], env);
        assert.strictEqual(second.code, 0, second.stderr);
        assert.strictEqual(
            second.stdout,
            human(" (not rebuilt: unchanged context, digest verified in the registry)"),
        );
        assert.match(second.stderr, reuse);

        const json = await npmRelease(dir, ["--repository", repo, "--json"], env);
        assert.strictEqual(json.code, 0, json.stderr);
        const notes = {
            version,
            repository: repo,
            digest,
            tags,
            platformDigests,
            gitSha: sha,
            labels,
            stacks: ["dev"],
        };
        assert.strictEqual(
            json.stdout,
            JSON.stringify(
                { record, built: false, outputsFile: ".image-release/outputs/dev.json", notes, mirrors: [] },
                null,
                2,
            ) + "\n",
        );
        assert.match(json.stderr, reuse);
        for (const t of tags) assert.strictEqual((await client.headManifest(repo, t))?.digest, digest, t);

        // A commit elsewhere in the repository is not a new build of the context: same commit, same digest.
        git(dir, ["commit", "-q", "--allow-empty", "-m", "unrelated"], {
            GIT_AUTHOR_DATE: "2024-01-03T11:00:00Z",
            GIT_COMMITTER_DATE: "2024-01-03T11:00:00Z",
        });
        const unrelated = await npmRelease(dir, ["--repository", repo, "--json"], env);
        assert.strictEqual(unrelated.code, 0, unrelated.stderr);
        assert.deepStrictEqual(
            [JSON.parse(unrelated.stdout).built, JSON.parse(unrelated.stdout).record.digest],
            [false, digest],
        );
        // A new commit of the context under the same version would be a new digest: X.Y.Z is immutable and
        // was built from another commit, so it is refused before anything is built and every tag stays;
        // --force moves the whole set.
        fs.appendFileSync(path.join(dir, "examples/hello/Dockerfile"), "# a change to the app\n");
        git(dir, ["commit", "-q", "-am", "change the app"], {
            GIT_AUTHOR_DATE: "2024-01-03T12:00:00Z",
            GIT_COMMITTER_DATE: "2024-01-03T12:00:00Z",
        });
        const sha2 = git(dir, ["rev-parse", "HEAD"]).trim();
        const refused = await npmRelease(dir, ["--repository", repo], env);
        assert.deepStrictEqual(
            [refused.code, refused.stdout, refused.stderr],
            [
                1,
                "",
                `image-release: tag ${version} in ${repo} already points at ${digest}; it was built from commit ${sha.slice(0, 12)}, this release is ${sha2.slice(0, 12)}: bump the version (immutable tag; use force to override)\n`,
            ],
        );
        for (const t of tags) assert.strictEqual((await client.headManifest(repo, t))?.digest, digest, t);
        const forced = await npmRelease(dir, ["--repository", repo, "--force", "--json"], env);
        assert.strictEqual(forced.code, 0, forced.stderr);
        const digest2 = (JSON.parse(forced.stdout) as { record: { digest: string } }).record.digest;
        assert.notStrictEqual(digest2, digest);
        const tags2 = [version, `${maj}.${min}`, maj, `git-${sha2.slice(0, 7)}`, "dev"];
        assert.deepStrictEqual(JSON.parse(forced.stdout).record.tags, tags2);
        for (const t of tags2) assert.strictEqual((await client.headManifest(repo, t))?.digest, digest2, t);

        // What the release recorded is what `promote --from dev` picks up.
        const promoted = await runIn(
            ["promote", "--repo-root", dir, "--from", "dev", "--to", "staging", "--dry-run", "--json"],
            { client },
        );
        assert.strictEqual(promoted.code, 0, promoted.stderr);
        const p = JSON.parse(promoted.stdout) as { digest: string; version: string; written: boolean };
        assert.deepStrictEqual([p.digest, p.version, p.written], [digest2, version, false]);
    });
});

const deps = { client };

describe("cli release --channel", () => {
    for (const channel of ["staging", "prod", "qa"]) {
        it(`refuses "${channel}" with exit code 1 before building anything`, async () => {
            const dir = makeRepo("127.0.0.1:5000/test-cli/never-pushed", `sha256:${"0".repeat(64)}`);
            const want = `release --channel "${channel}" is not allowed: a release builds into "dev" only; staging and prod get a build through \`image-release promote\` (e.g. \`image-release promote --from dev --to staging\`)`;
            const out: string[] = [];
            const code = await run(
                ["release", "--repo-root", dir, "--channel", channel],
                { out: (s) => out.push(s), err: (s) => out.push(s) },
                deps,
            );
            assert.deepStrictEqual([code, out.join("")], [1, `image-release: ${want}\n`]);
            assert.strictEqual(fs.existsSync(path.join(dir, ".image-release")), false);
        });
    }
});

describe("cli release --platforms", () => {
    for (const r of BAD_PLATFORMS) {
        it(`refuses ${r.platforms} with exit code 1 before building anything`, async () => {
            const dir = makeRepo("127.0.0.1:5000/test-cli/never-pushed", `sha256:${"0".repeat(64)}`);
            const out: string[] = [];
            const code = await run(
                ["release", "--repo-root", dir, "--version", "1.0.0", "--platforms", r.platforms],
                { out: (s) => out.push(s), err: (s) => out.push(s) },
                deps,
            );
            assert.deepStrictEqual([code, out.join("")], [1, `image-release: ${r.err}\n`]);
            assert.strictEqual(fs.existsSync(path.join(dir, ".image-release")), false);
        });
    }
});

describe("image-release release --stack/--image: one build's flags do not go with a set", () => {
    const rows = [
        {
            args: ["--stack", "dev", "--context", "api"],
            stderr: "image-release: --context does not go with --stack: each image of a set takes it from its stack file\n",
        },
        {
            args: ["--image", "api", "--version", "1.2.3", "--mirror", "127.0.0.1:5001/x"],
            stderr:
                "image-release: --version does not go with --image: each image of a set takes it from its stack file\n" +
                "--mirror does not go with --image: each image of a set takes it from its stack file\n",
        },
        { args: ["--image", ""], stderr: 'image-release: --image must not be empty (got "")\n' },
    ];
    for (const r of rows) {
        it(`release ${r.args.join(" ")}: exit 2, building nothing`, async () => {
            const got = await runIn(["release", ...r.args], { client });
            assert.deepStrictEqual(got, { code: 2, stdout: "", stderr: r.stderr });
        });
    }
});
