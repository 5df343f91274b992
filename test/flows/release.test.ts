import { createHash } from "crypto";
import * as assert from "assert";
import { BAD_PLATFORMS } from "../fixtures/cli/badPlatforms";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildPushSign, provenanceDockerfile, provenanceInput, release } from "../../src/flows";
import { RegistryClient } from "../../src/registry";
import { fakePublish } from "../fixtures/cli/fakePublish";
import { readProvenance } from "../fixtures/cli/provenance";
import { git, makeRepo } from "../fixtures/cli/repo";
import { LOCAL, uniqueRepo } from "../fixtures/registry/testImage";

const client = new RegistryClient({
    retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
    timeoutMs: 5000,
});
const ROOT = path.join(__dirname, "..", "..");
const SIGNING = path.join(ROOT, "test", "fixtures", "signing");
// This tool's own version (package.json), which provenance records as the builder.
const TOOL_VERSION = (
    JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }
).version;

describe("release --channel", () => {
    for (const channel of ["staging", "prod", "qa"]) {
        it(`refuses "${channel}" before building anything`, async () => {
            const dir = makeRepo("127.0.0.1:5000/test-cli/never-pushed", `sha256:${"0".repeat(64)}`);
            let built = 0;
            const want = `release --channel "${channel}" is not allowed: a release builds into "dev" only; staging and prod get a build through \`image-release promote\` (e.g. \`image-release promote --from dev --to staging\`)`;
            await assert.rejects(
                release(
                    { repoRoot: dir, stacksDir: path.join(dir, "stacks"), channel },
                    {
                        client,
                        publish: () => {
                            built++;
                            return Promise.reject(new Error("must not build"));
                        },
                    },
                ),
                { message: want },
            );
            assert.strictEqual(built, 0);
            assert.strictEqual(fs.existsSync(path.join(dir, ".image-release")), false);
        });
    }
});

describe("release --platforms", () => {
    for (const r of BAD_PLATFORMS) {
        it(`refuses ${r.platforms} before building anything`, async () => {
            const dir = makeRepo("127.0.0.1:5000/test-cli/never-pushed", `sha256:${"0".repeat(64)}`);
            let built = 0;
            await assert.rejects(
                release(
                    {
                        repoRoot: dir,
                        stacksDir: path.join(dir, "stacks"),
                        version: "1.0.0",
                        platforms: r.platforms.split(","),
                    },
                    {
                        client,
                        publish: () => {
                            built++;
                            return Promise.reject(new Error("must not build"));
                        },
                    },
                ),
                { message: r.err },
            );
            assert.strictEqual(built, 0);
            assert.strictEqual(fs.existsSync(path.join(dir, ".image-release")), false);
        });
    }
});

describe("build-push-sign: one provenance whichever face builds", () => {
    const HELLO = path.join(ROOT, "examples", "hello");
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-no-git-"));
    const linked = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "image-release-link-")), "hello");
    fs.symlinkSync(HELLO, linked);
    const rows: { name: string; context: string; dockerfile: string; want: string }[] = [
        {
            name: "a context inside the repository",
            context: HELLO,
            dockerfile: "Dockerfile",
            want: "examples/hello/Dockerfile",
        },
        {
            name: "a Dockerfile in a folder of the context",
            context: HELLO,
            dockerfile: "build/Dockerfile.prod",
            want: "examples/hello/build/Dockerfile.prod",
        },
        {
            name: "the repository root as the context",
            context: ROOT,
            dockerfile: "Dockerfile",
            want: "Dockerfile",
        },
        {
            name: "a context reached by a symlink",
            context: linked,
            dockerfile: "Dockerfile",
            want: "examples/hello/Dockerfile",
        },
        {
            name: "a context outside any git repository",
            context: outside,
            dockerfile: "Dockerfile",
            want: "Dockerfile",
        },
    ];
    for (const r of rows) {
        it(`the provenance's Dockerfile: ${r.name}`, () => {
            assert.strictEqual(provenanceDockerfile(r.context, r.dockerfile), r.want);
        });
    }

    const sha = "0123abc0123abc0123abc0123abc0123abc0123a";
    const build = {
        context: HELLO,
        repository: "127.0.0.1:5000/never/pushed",
        platforms: ["linux/amd64", "linux/arm64"],
        labels: { "org.opencontainers.image.source": "https://git.example.com/team/hello" },
        version: "1.4.2",
        gitSha: sha,
        sourceDateEpoch: 1700000000,
        tags: ["1.4.2", "git-0123abc"],
    };

    it("provenanceInput takes the build's own options: no build args is {}, the Dockerfile defaults", () => {
        assert.deepStrictEqual(provenanceInput(build), {
            source: "https://git.example.com/team/hello",
            gitSha: sha,
            version: "1.4.2",
            platforms: ["linux/amd64", "linux/arm64"],
            buildArgs: {},
            sourceDateEpoch: 1700000000,
            dockerfile: "examples/hello/Dockerfile",
            builderVersion: TOOL_VERSION,
        });
        assert.deepStrictEqual(
            provenanceInput({
                ...build,
                labels: {},
                dockerfile: "Dockerfile.prod",
                buildArgs: { MODE: "release" },
            }),
            {
                source: "",
                gitSha: sha,
                version: "1.4.2",
                platforms: ["linux/amd64", "linux/arm64"],
                buildArgs: { MODE: "release" },
                sourceDateEpoch: 1700000000,
                dockerfile: "examples/hello/Dockerfile.prod",
                builderVersion: TOOL_VERSION,
            },
        );
    });

    it("buildPushSign hands publish the build as given and, without a key, signs nothing", async () => {
        const seen: unknown[] = [];
        const published = {
            digest: `sha256:${"1".repeat(64)}`,
            ref: `${build.repository}@sha256:${"1".repeat(64)}`,
            tags: build.tags,
            heldBack: [],
            platformDigests: {},
            labels: build.labels,
            contextHash: "",
            bytesUploaded: 0,
            built: true,
            buildKey: "0".repeat(64),
            retagged: [],
        };
        const onProgress = () => undefined;
        const r = await buildPushSign(
            { ...build, buildArgs: { MODE: "release" }, force: true },
            {
                client,
                onProgress,
                publish: async (p) => {
                    seen.push(p);
                    return published;
                },
            },
        );
        assert.deepStrictEqual(seen, [
            { ...build, buildArgs: { MODE: "release" }, force: true, client, onProgress },
        ]);
        assert.deepStrictEqual(r, { published });
    });

    it("release signs with the provenance of what it built: source, commit, Dockerfile, build args (its own: version, commit, epoch), platforms, builder @integration", async () => {
        const repo = uniqueRepo(LOCAL, "provenance");
        const dir = makeRepo(repo, `sha256:${"0".repeat(64)}`);
        git(dir, ["remote", "add", "origin", "https://github.com/example/app.git"]);
        const head = git(dir, ["rev-parse", "HEAD"]).trim();
        const r = await release(
            {
                repoRoot: dir,
                stacksDir: path.join(dir, "stacks"),
                context: "stacks",
                repository: repo,
                version: "3.0.0",
                platforms: ["linux/amd64", "linux/arm64"],
            },
            {
                client,
                publish: fakePublish("provenance").publish,
                env: {
                    IMAGE_RELEASE_SIGNING_KEY: path.join(SIGNING, "cosign.key"),
                    IMAGE_RELEASE_SIGNING_PASSWORD: "image-release-test-only",
                    SOURCE_DATE_EPOCH: "1700000000",
                },
            },
        );
        const dependency = { uri: `git+https://github.com/example/app@${head}`, digest: { gitCommit: head } };
        assert.deepStrictEqual(await readProvenance(client, repo, r.record.digest), {
            buildDefinition: {
                buildType: "https://github.com/pulumi-image-release/build/v1",
                externalParameters: {
                    source: dependency,
                    dockerfile: "stacks/Dockerfile",
                    platforms: ["linux/amd64", "linux/arm64"],
                    buildArgs: {},
                },
                internalParameters: {
                    VERSION: "3.0.0",
                    GIT_SHA: head,
                    SOURCE_DATE_EPOCH: "1700000000",
                    // The build key the publish step reports: the registry's record of the build is filed under it.
                    buildKey: createHash("sha256").update("fake provenance").digest("hex"),
                },
                resolvedDependencies: [dependency],
            },
            runDetails: { builder: { id: `pkg:npm/pulumi-image-release@${TOOL_VERSION}` } },
        });
    });
});
