import * as assert from "assert";
import { execFile } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import * as pulumi from "@pulumi/pulumi";
import { BuildError, hashContext } from "../../src/builder";
import {
    imageDiff,
    MultiArchImageInputs,
    MultiArchImageOutputs,
    multiArchImageProvider,
    needsRebuild,
    RegistryTagInputs,
    RegistryTagOutputs,
    registryTagProvider,
    tagDiff,
    copyDiff,
    RegistryCopyInputs,
    RegistryCopyOutputs,
    registryCopyProvider,
} from "../../src/providers";
import { isBuildRecordTag, ociLabels } from "../../src/release";
import { ImmutableTagError, RegistryClient } from "../../src/registry";
import { builderVersion, readPublicKeys, SigningError } from "../../src/signing";
import { readProvenance } from "../fixtures/cli/provenance";
import { pushTestImage } from "../fixtures/registry/testImage";

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");
const HELLO = path.join(ROOT, "examples", "hello");
const EPOCH = 1700000000;
const SHA = "0123abc";
const SIGNING = path.join(ROOT, "test", "fixtures", "signing");
const SIGNING_ENV = {
    IMAGE_RELEASE_SIGNING_KEY: path.join(SIGNING, "cosign.key"),
    IMAGE_RELEASE_SIGNING_PASSWORD: "image-release-test-only",
};
const NO_CHANGE = { changes: false, replaces: [], deleteBeforeReplace: false };
const UPDATE = { changes: true, replaces: [], deleteBeforeReplace: false };

function repo(name: string): string {
    return `127.0.0.1:5000/test-providers/${name}-${randomBytes(4).toString("hex")}`;
}

function imageInputs(over: Partial<MultiArchImageInputs> = {}): MultiArchImageInputs {
    return {
        context: HELLO,
        dockerfile: "Dockerfile",
        repository: "127.0.0.1:5000/test-providers/unused",
        platforms: ["linux/amd64", "linux/arm64"],
        buildArgs: {},
        labels: ociLabels({ version: "1.2.3", revision: SHA, created: EPOCH }),
        version: "1.2.3",
        gitSha: SHA,
        sourceDateEpoch: EPOCH,
        tags: ["1.2.3", "1.2", "1", `git-${SHA}`],
        contextHash: hashContext(HELLO),
        ...over,
    };
}

function imageOutputs(over: Partial<MultiArchImageOutputs> = {}): MultiArchImageOutputs {
    const digest = `sha256:${"a".repeat(64)}`;
    return {
        ...imageInputs(),
        digest,
        ref: `127.0.0.1:5000/test-providers/unused@${digest}`,
        platformDigests: {},
        ...over,
    };
}

/** Swaps environment variables for the duration of fn; the providers read them at call time. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    try {
        return await fn();
    } finally {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    }
}

describe("provider diffs", () => {
    const rows: { name: string; news: Partial<MultiArchImageInputs>; diff: object; rebuild: boolean }[] = [
        { name: "nothing changed", news: {}, diff: NO_CHANGE, rebuild: false },
        {
            name: "build args in another key order",
            news: { buildArgs: { B: "2", A: "1" } },
            diff: NO_CHANGE,
            rebuild: false,
        },
        { name: "force false vs absent", news: { force: false }, diff: NO_CHANGE, rebuild: false },
        {
            name: "credentials only",
            news: { credentials: { x: { username: "u", password: "p" } } },
            diff: NO_CHANGE,
            rebuild: false,
        },
        {
            name: "tags only",
            news: { tags: ["1.2.3", "1.2", "1", `git-${SHA}`, "latest"] },
            diff: UPDATE,
            rebuild: false,
        },
        {
            name: "tag order",
            news: { tags: ["1", "1.2", "1.2.3", `git-${SHA}`] },
            diff: UPDATE,
            rebuild: false,
        },
        { name: "version only", news: { version: "1.2.4" }, diff: UPDATE, rebuild: false },
        { name: "gitSha only", news: { gitSha: "89abcde" }, diff: UPDATE, rebuild: false },
        { name: "force on", news: { force: true }, diff: UPDATE, rebuild: false },
        { name: "deleteFromRegistry on", news: { deleteFromRegistry: true }, diff: UPDATE, rebuild: false },
        {
            name: "context hash",
            news: { contextHash: `sha256:${"b".repeat(64)}` },
            diff: UPDATE,
            rebuild: true,
        },
        { name: "dockerfile", news: { dockerfile: "Dockerfile.prod" }, diff: UPDATE, rebuild: true },
        {
            name: "platform order",
            news: { platforms: ["linux/arm64", "linux/amd64"] },
            diff: UPDATE,
            rebuild: true,
        },
        { name: "one platform fewer", news: { platforms: ["linux/amd64"] }, diff: UPDATE, rebuild: true },
        { name: "build arg value", news: { buildArgs: { A: "1", B: "3" } }, diff: UPDATE, rebuild: true },
        {
            name: "a label",
            news: { labels: { ...imageInputs().labels, extra: "x" } },
            diff: UPDATE,
            rebuild: true,
        },
        { name: "source date epoch", news: { sourceDateEpoch: EPOCH + 1 }, diff: UPDATE, rebuild: true },
        {
            name: "repository",
            news: { repository: "127.0.0.1:5000/test-providers/other" },
            diff: { changes: true, replaces: ["repository"], deleteBeforeReplace: false },
            rebuild: true,
        },
    ];
    for (const row of rows) {
        it(`MultiArchImage: ${row.name}`, async () => {
            const olds = imageOutputs({ buildArgs: { A: "1", B: "2" } });
            const news = imageInputs({ buildArgs: { A: "1", B: "2" }, ...row.news });
            assert.deepStrictEqual(imageDiff(olds, news), row.diff);
            assert.deepStrictEqual(await multiArchImageProvider.diff!("id", olds, news), row.diff);
            assert.strictEqual(needsRebuild(olds, news), row.rebuild);
        });
    }

    const d1 = `sha256:${"1".repeat(64)}`;
    const d2 = `sha256:${"2".repeat(64)}`;
    const tagOlds: RegistryTagOutputs = {
        repository: "127.0.0.1:5000/x",
        digest: d1,
        tag: "staging",
        ref: "127.0.0.1:5000/x:staging",
        previousDigest: d2,
    };
    const tagRows: { name: string; news: Partial<RegistryTagInputs>; diff: object }[] = [
        { name: "nothing changed", news: {}, diff: NO_CHANGE },
        { name: "force false vs absent", news: { force: false }, diff: NO_CHANGE },
        {
            name: "credentials only",
            news: { credentials: { x: { username: "u", password: "p" } } },
            diff: NO_CHANGE,
        },
        { name: "digest", news: { digest: d2 }, diff: UPDATE },
        { name: "force on", news: { force: true }, diff: UPDATE },
        {
            name: "tag",
            news: { tag: "prod" },
            diff: { changes: true, replaces: ["tag"], deleteBeforeReplace: false },
        },
        {
            name: "repository",
            news: { repository: "127.0.0.1:5000/y" },
            diff: { changes: true, replaces: ["repository"], deleteBeforeReplace: false },
        },
        {
            name: "repository, tag and digest",
            news: { repository: "127.0.0.1:5000/y", tag: "prod", digest: d2 },
            diff: { changes: true, replaces: ["repository", "tag"], deleteBeforeReplace: false },
        },
    ];
    for (const row of tagRows) {
        it(`RegistryTag: ${row.name}`, async () => {
            const news: RegistryTagInputs = {
                repository: "127.0.0.1:5000/x",
                digest: d1,
                tag: "staging",
                ...row.news,
            };
            assert.deepStrictEqual(tagDiff(tagOlds, news), row.diff);
            assert.deepStrictEqual(await registryTagProvider.diff!("id", tagOlds, news), row.diff);
        });
    }
});

describe("RegistryCopy diff", () => {
    const d1 = "sha256:" + "1".repeat(64);
    const d2 = "sha256:" + "2".repeat(64);
    const olds: RegistryCopyOutputs = {
        from: "127.0.0.1:5000/staging/app",
        to: "127.0.0.1:5001/prod/app",
        digest: d1,
        tags: ["1.4.2", "git-0123abc"],
        ref: `127.0.0.1:5001/prod/app@${d1}`,
        bytesCopied: 10,
    };
    const COPY = { changes: true, replaces: [], deleteBeforeReplace: false };
    const rows: { name: string; news: Partial<RegistryCopyInputs>; diff: pulumi.dynamic.DiffResult }[] = [
        { name: "nothing changed", news: {}, diff: NO_CHANGE },
        {
            name: "credentials only",
            news: { credentials: { x: { username: "u", password: "p" } } },
            diff: NO_CHANGE,
        },
        // A rollback or promotion: copy the new digest, in place (delete never touches a registry).
        { name: "digest", news: { digest: d2 }, diff: COPY },
        { name: "source", news: { from: "127.0.0.1:5000/dev/app" }, diff: COPY },
        { name: "target", news: { to: "127.0.0.1:5001/prod2/app" }, diff: COPY },
        { name: "tags", news: { tags: ["1.4.3", "git-0123abc"] }, diff: COPY },
    ];
    for (const row of rows) {
        it(`RegistryCopy: ${row.name}`, async () => {
            const news: RegistryCopyInputs = {
                from: olds.from,
                to: olds.to,
                digest: olds.digest,
                tags: olds.tags,
                ...row.news,
            };
            assert.deepStrictEqual(copyDiff(olds, news), row.diff);
            assert.deepStrictEqual(await registryCopyProvider.diff!("id", olds, news), row.diff);
        });
    }
});

describe("providers against the real engine and registry @integration", function () {
    this.timeout(120_000);
    const client = new RegistryClient({ dockerConfigPath: "/nonexistent/config.json" });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-providers-"));
    let savedCacheDir: string | undefined;
    before(() => {
        // The providers use the default BuildCache; keep it away from the user's cache.
        savedCacheDir = process.env.IMAGE_RELEASE_CACHE_DIR;
        process.env.IMAGE_RELEASE_CACHE_DIR = path.join(tmp, "cache");
    });
    after(() => {
        if (savedCacheDir === undefined) delete process.env.IMAGE_RELEASE_CACHE_DIR;
        else process.env.IMAGE_RELEASE_CACHE_DIR = savedCacheDir;
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    let image: MultiArchImageOutputs;

    it("serializes both providers without node_modules or a copy of the registry client", async () => {
        for (const [name, provider, modules] of [
            [
                "multiArchImage",
                multiArchImageProvider,
                ["builder", "registry", "signing", "flows", "release"],
            ],
            ["registryTag", registryTagProvider, ["registry"]],
            ["registryCopy", registryCopyProvider, ["registry", "signing", "release"]],
        ] as const) {
            const s = await pulumi.runtime.serializeFunction(() => provider);
            assert.strictEqual(s.exportName, "handler");
            // The loader names one node_modules path as a fallback; no module from there may be inlined.
            assert.ok(
                !/node_modules\/@|node_modules\/(?!pulumi-image-release\/)/.test(s.text),
                `${name} serializes node_modules`,
            );
            for (const copied of [
                "class RegistryClient",
                "async applyTags(",
                "withRetry",
                "function publishImage",
                "function normalizeTar",
                "function buildPushSign",
                "function signRelease",
            ])
                assert.ok(!s.text.includes(copied), `${name} carries a copy: ${copied}`);
            for (const m of modules)
                assert.ok(
                    s.text.includes(JSON.stringify(path.join(ROOT, "src", m))),
                    `${name} lacks the ${m} path`,
                );
            fs.writeFileSync(path.join(tmp, `${name}.js`), s.text);
        }
    });

    it("create in a fresh node process from the serialized text (the engine-side path)", async () => {
        const repository = repo("child");
        const script = `
            const image = require(${JSON.stringify(path.join(tmp, "multiArchImage.js"))}).handler();
            const tag = require(${JSON.stringify(path.join(tmp, "registryTag.js"))}).handler();
            (async () => {
                const created = await image.create(JSON.parse(process.argv[1]));
                const tagged = await tag.create({ repository: created.outs.repository, digest: created.outs.digest, tag: "staging" });
                console.log(JSON.stringify({ created, tagged, ts: typeof require.extensions[".ts"] }));
            })().catch((e) => { console.error(e); process.exit(1); });`;
        const { stdout } = await exec(
            process.execPath,
            ["-e", script, JSON.stringify(imageInputs({ repository }))],
            {
                cwd: ROOT,
                env: { ...process.env, IMAGE_RELEASE_CACHE_DIR: path.join(tmp, "child-cache") },
            },
        );
        const out = JSON.parse(stdout) as {
            created: { id: string; outs: MultiArchImageOutputs };
            tagged: { id: string; outs: RegistryTagOutputs };
            ts: string;
        };
        const digest = out.created.outs.digest;
        assert.match(digest, /^sha256:[0-9a-f]{64}$/);
        assert.deepStrictEqual(out.created, {
            id: `${repository}@${digest}`,
            outs: {
                ...imageInputs({ repository }),
                digest,
                ref: `${repository}@${digest}`,
                platformDigests: out.created.outs.platformDigests,
                heldBackTags: [],
            },
        });
        assert.deepStrictEqual(Object.keys(out.created.outs.platformDigests), ["linux/amd64", "linux/arm64"]);
        assert.deepStrictEqual(out.tagged, {
            id: `${repository}:staging`,
            outs: { repository, digest, tag: "staging", ref: `${repository}:staging` },
        });
        // The child had to register ts-node itself: nothing was inherited from this process.
        assert.strictEqual(out.ts, "function");
        for (const tag of [...imageInputs().tags, "staging"])
            assert.strictEqual((await client.headManifest(repository, tag))?.digest, digest);
        image = out.created.outs;
    });

    it("create in-process gives the same digest in another repository (reproducible)", async () => {
        const repository = repo("direct");
        const r = await multiArchImageProvider.create(imageInputs({ repository }));
        const outs = r.outs as MultiArchImageOutputs;
        assert.strictEqual(outs.digest, image.digest);
        assert.deepStrictEqual(outs.platformDigests, image.platformDigests);
        assert.strictEqual(r.id, `${repository}@${image.digest}`);
        image = outs;
    });

    it("create signs through the one build-push-sign: the provenance release records, before nothing is rebuilt", async () => {
        // The same repository and inputs: the build cache holds the digest, so no engine call; then it signs.
        const r = await withEnv(SIGNING_ENV, () =>
            multiArchImageProvider.create(imageInputs({ repository: image.repository })),
        );
        const outs = r.outs as MultiArchImageOutputs;
        const trusted = readPublicKeys([path.join(SIGNING, "cosign.pub")]);
        assert.deepStrictEqual([outs.digest, outs.signedBy], [image.digest, trusted[0].id]);
        const dependency = { digest: { gitCommit: SHA } };
        // Signed, the build is filed in the registry under its key, which the provenance names too.
        const records = (await client.listTags(image.repository)).filter(isBuildRecordTag);
        assert.strictEqual(records.length, 1, records.join(", "));
        assert.strictEqual((await client.headManifest(image.repository, records[0]))?.digest, image.digest);
        assert.deepStrictEqual(await readProvenance(client, image.repository, image.digest), {
            buildDefinition: {
                buildType: "https://github.com/pulumi-image-release/build/v1",
                externalParameters: {
                    source: dependency,
                    dockerfile: "examples/hello/Dockerfile",
                    platforms: ["linux/amd64", "linux/arm64"],
                    buildArgs: {},
                },
                internalParameters: {
                    VERSION: "1.2.3",
                    GIT_SHA: SHA,
                    SOURCE_DATE_EPOCH: String(EPOCH),
                    buildKey: records[0].slice("buildkey-".length),
                },
                resolvedDependencies: [dependency],
            },
            runDetails: { builder: { id: `pkg:npm/pulumi-image-release@${builderVersion()}` } },
        });
    });

    it("a wrong signing password fails before the build, not after the push", async () => {
        const env = {
            ...SIGNING_ENV,
            IMAGE_RELEASE_SIGNING_PASSWORD: "wrong",
            IMAGE_RELEASE_DOCKER: "/bin/false",
            IMAGE_RELEASE_CACHE_DIR: path.join(tmp, "no-cache"),
        };
        const repository = repo("wrong-password");
        await assert.rejects(
            withEnv(env, () => multiArchImageProvider.create(imageInputs({ repository }))),
            (e: unknown) =>
                e instanceof SigningError &&
                e.message === `${SIGNING_ENV.IMAGE_RELEASE_SIGNING_KEY}: wrong password for the cosign key`,
        );
        assert.deepStrictEqual(await client.listTags(repository), []);
    });

    it("a tags-only update retags without the engine; a rebuild-worthy one would need it", async () => {
        const news = imageInputs({ repository: image.repository, tags: [...image.tags, "latest"] });
        // No cache and a docker that always fails: any build attempt would throw.
        const broken = {
            IMAGE_RELEASE_DOCKER: "/bin/false",
            IMAGE_RELEASE_CACHE_DIR: path.join(tmp, "empty-cache"),
        };
        const r = await withEnv(broken, () => multiArchImageProvider.update!(image.ref, image, news));
        assert.deepStrictEqual(r.outs, {
            ...news,
            digest: image.digest,
            ref: image.ref,
            platformDigests: image.platformDigests,
            heldBackTags: [],
        });
        assert.strictEqual((await client.headManifest(image.repository, "latest"))?.digest, image.digest);

        const rebuild = imageInputs({ repository: image.repository, buildArgs: { EXTRA: "1" } });
        await assert.rejects(
            withEnv(broken, () => multiArchImageProvider.update!(image.ref, image, rebuild)),
            (e: unknown) =>
                e instanceof BuildError &&
                new RegExp(
                    `^docker build for linux/(amd64|arm64) of "${HELLO}" failed \\(exit 1\\):\\n$`,
                ).test(e.message),
        );
        assert.strictEqual((await client.headManifest(image.repository, "latest"))?.digest, image.digest);
    });

    it("delete leaves the manifest by default and removes it only with deleteFromRegistry", async () => {
        await multiArchImageProvider.delete!(image.ref, image);
        assert.strictEqual((await client.headManifest(image.repository, image.digest))?.digest, image.digest);
        await multiArchImageProvider.delete!(image.ref, { ...image, deleteFromRegistry: false });
        assert.strictEqual((await client.headManifest(image.repository, image.digest))?.digest, image.digest);

        await multiArchImageProvider.delete!(image.ref, { ...image, deleteFromRegistry: true });
        assert.strictEqual(await client.headManifest(image.repository, image.digest), undefined);
        // Deleting again is not an error: the state only has to end up gone.
        await multiArchImageProvider.delete!(image.ref, { ...image, deleteFromRegistry: true });
    });

    it("RegistryTag moves a tag by retag, records previousDigest, and delete never deletes", async () => {
        const repository = repo("tag");
        const one = await pushTestImage(client, repository, "one");
        const two = await pushTestImage(client, repository, "two");

        const created = await registryTagProvider.create({
            repository,
            digest: one.indexDigest,
            tag: "staging",
        });
        assert.deepStrictEqual(created, {
            id: `${repository}:staging`,
            outs: { repository, digest: one.indexDigest, tag: "staging", ref: `${repository}:staging` },
        });
        const olds = created.outs as RegistryTagOutputs;

        const moved = await registryTagProvider.update!(created.id, olds, {
            repository,
            digest: two.indexDigest,
            tag: "staging",
        });
        const expected = {
            repository,
            digest: two.indexDigest,
            tag: "staging",
            ref: `${repository}:staging`,
            previousDigest: one.indexDigest,
        };
        assert.deepStrictEqual(moved.outs, expected);
        const head = await client.headManifest(repository, "staging");
        assert.strictEqual(head?.digest, two.indexDigest);
        // The bytes are the index itself, so the digest did not change on the way.
        assert.ok((await client.getManifest(repository, "staging")).bytes.equals(two.indexBytes));

        // Moving back keeps the first previousDigest: the one before this resource ever touched the tag.
        const back = await registryTagProvider.update!(created.id, moved.outs, {
            repository,
            digest: one.indexDigest,
            tag: "staging",
        });
        assert.deepStrictEqual(back.outs, {
            ...expected,
            digest: one.indexDigest,
            previousDigest: one.indexDigest,
        });

        await registryTagProvider.delete!(created.id, back.outs);
        assert.strictEqual((await client.headManifest(repository, "staging"))?.digest, one.indexDigest);
        assert.strictEqual((await client.headManifest(repository, two.indexDigest))?.digest, two.indexDigest);
    });

    it("RegistryCopy copies across registries with each one's credentials, and delete deletes nothing", async () => {
        const from = repo("copy-src");
        const to = `127.0.0.1:5001/${repo("copy-dst").split("/").slice(1).join("/")}`;
        const credentials = {
            "127.0.0.1:5001": { username: "imagerelease", password: "local-only-password" },
        };
        const authed = new RegistryClient({ credentials });
        const one = await pushTestImage(client, from, "copy-one");
        const two = await pushTestImage(client, from, "copy-two");
        const inputs = { from, to, digest: one.indexDigest, tags: ["1.4.2", "git-0123abc"], credentials };
        const created = await registryCopyProvider.create(inputs);
        assert.deepStrictEqual(created, {
            id: `${to}@${one.indexDigest}`,
            outs: { ...inputs, ref: `${to}@${one.indexDigest}`, bytesCopied: one.blobBytes },
        });
        const moved = await registryCopyProvider.update!(created.id, created.outs, {
            ...inputs,
            digest: two.indexDigest,
            tags: ["1.4.3", "git-4567def"],
        });
        assert.strictEqual(moved.outs.ref, `${to}@${two.indexDigest}`);
        await registryCopyProvider.delete!(created.id, moved.outs);
        for (const [ref, digest] of [
            ["1.4.2", one.indexDigest],
            ["git-0123abc", one.indexDigest],
            ["1.4.3", two.indexDigest],
            [one.indexDigest, one.indexDigest],
            [two.indexDigest, two.indexDigest],
        ]) {
            assert.strictEqual((await authed.headManifest(to, ref))?.digest, digest, ref);
            if (ref.startsWith("sha256:"))
                assert.strictEqual((await client.headManifest(from, ref))?.digest, digest);
        }
    });

    it("RegistryTag refuses to move an immutable tag unless forced", async () => {
        const repository = repo("immutable");
        const one = await pushTestImage(client, repository, "one");
        const two = await pushTestImage(client, repository, "two");
        const created = await registryTagProvider.create({
            repository,
            digest: one.indexDigest,
            tag: "9.9.9",
        });
        const olds = created.outs as RegistryTagOutputs;
        await assert.rejects(
            registryTagProvider.update!(created.id, olds, {
                repository,
                digest: two.indexDigest,
                tag: "9.9.9",
            }),
            (e: unknown) =>
                e instanceof ImmutableTagError &&
                e.message ===
                    `tag 9.9.9 in ${repository} already points at ${one.indexDigest}; refusing to move it to ${two.indexDigest} (immutable tag; use force to override)`,
        );
        assert.strictEqual((await client.headManifest(repository, "9.9.9"))?.digest, one.indexDigest);
        const forced = await registryTagProvider.update!(created.id, olds, {
            repository,
            digest: two.indexDigest,
            tag: "9.9.9",
            force: true,
        });
        assert.deepStrictEqual(forced.outs, {
            repository,
            digest: two.indexDigest,
            tag: "9.9.9",
            force: true,
            ref: `${repository}:9.9.9`,
            previousDigest: one.indexDigest,
        });
        assert.strictEqual((await client.headManifest(repository, "9.9.9"))?.digest, two.indexDigest);
    });
});
