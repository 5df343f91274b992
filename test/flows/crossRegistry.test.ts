import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { promote, release, rollback } from "../../src/flows";
import { PublishResult } from "../../src/builder";
import { RegistryClient } from "../../src/registry";
import { fakePublish } from "../fixtures/cli/fakePublish";
import { commitAll, makeRepo, readStack as read, stackPath } from "../fixtures/cli/repo";
import { prodMovedWithNext, repoWithProdElsewhere } from "../fixtures/cli/scenarios";
import { AUTH_CREDS, LOCAL, LOCAL_AUTH, pushTestImage, uniqueRepo } from "../fixtures/registry/testImage";

const retry = { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 };
const authed = new RegistryClient({ credentials: { [LOCAL_AUTH]: AUTH_CREDS }, retry });
const anonymous = new RegistryClient({ retry });

describe("promotion across registries @integration", () => {
    it("promote copies the digest into prod's registry (its own credentials), then writes the pin", async () => {
        const stagingRepo = uniqueRepo(LOCAL, "cross-staging");
        const prodRepo = uniqueRepo(LOCAL_AUTH, "cross-prod");
        const img = await pushTestImage(authed, stagingRepo, "cross-a");
        const dir = repoWithProdElsewhere(stagingRepo, prodRepo, `sha256:${"1".repeat(64)}`);
        fs.writeFileSync(
            stackPath(dir, "staging"),
            read(dir, "staging").replace(`sha256:${"1".repeat(64)}`, img.indexDigest),
        );
        commitAll(dir, "staging runs a", 3);
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        const before = read(dir, "prod");

        // A dry run checks the target and says what it would copy; nothing is sent or written.
        const dry = await promote({ ...o, from: "staging", to: "prod", dryRun: true }, { client: authed });
        assert.deepStrictEqual([dry.written, dry.copied?.alreadyPresent], [false, false]);
        assert.strictEqual(await authed.headManifest(prodRepo, img.indexDigest), undefined);
        assert.strictEqual(read(dir, "prod"), before);

        const prodPinned = before;
        const r = await promote({ ...o, from: "staging", to: "prod", retag: true }, { client: authed });
        assert.deepStrictEqual(r.copied, {
            digest: img.indexDigest,
            from: stagingRepo,
            to: prodRepo,
            alreadyPresent: false,
            blobs: { mounted: 0, copied: 4, present: 0 },
            manifests: { copied: 3, present: 0 },
            bytesCopied: img.blobBytes,
            tags: [
                { tag: "1.4.0", digest: img.indexDigest },
                { tag: "git-aaaaaaa", digest: img.indexDigest },
            ],
            // cosign's signature and attestations would come along; this test image has none.
            artifacts: [
                { tag: `${img.indexDigest.replace(":", "-")}.sig`, result: "absent" },
                { tag: `${img.indexDigest.replace(":", "-")}.att`, result: "absent" },
            ],
        });
        assert.deepStrictEqual(r.retagged, { tag: "prod" });
        assert.strictEqual(
            read(dir, "prod"),
            prodPinned
                .replace(`digest: sha256:${"1".repeat(64)}`, `digest: ${img.indexDigest}`)
                .replace(
                    "    image-release:promotedFrom: staging\n",
                    `    image-release:promotedFrom: staging\n    image-release:sourceRepository: ${stagingRepo}\n`,
                ),
        );
        for (const ref of [img.indexDigest, "1.4.0", "git-aaaaaaa", "prod"]) {
            assert.strictEqual((await authed.headManifest(prodRepo, ref))?.digest, img.indexDigest, ref);
        }
    });

    it("rollback to a digest that lives only where prod used to pull from copies it back first", async () => {
        const stagingRepo = uniqueRepo(LOCAL, "cross-staging");
        const prodRepo = uniqueRepo(LOCAL_AUTH, "cross-rollback");
        const a = await pushTestImage(authed, stagingRepo, "cross-old");
        const b = await pushTestImage(authed, stagingRepo, "cross-new");
        // History: prod ran a from staging's repository, then moved to its own registry with b.
        const dir = await prodMovedWithNext(authed, stagingRepo, prodRepo, a.indexDigest, b.indexDigest);
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        const pinnedB = read(dir, "prod");
        assert.strictEqual(await authed.headManifest(prodRepo, a.indexDigest), undefined);

        const r = await rollback({ ...o, stack: "prod" }, { client: authed });
        assert.deepStrictEqual(
            [r.digest, r.copied?.from, r.copied?.to, r.copied?.alreadyPresent, r.copied?.bytesCopied],
            [a.indexDigest, stagingRepo, prodRepo, false, a.blobBytes],
        );
        // Only the pin's values change; the source repository line stays (a was in staging's, too).
        assert.strictEqual(
            read(dir, "prod"),
            pinnedB
                .replace(b.indexDigest, a.indexDigest)
                .replace("version: 1.5.0", "version: 1.4.0")
                .replace("gitSha: bbbbbbb", "gitSha: aaaaaaa"),
        );
        assert.match(pinnedB, new RegExp(`image-release:sourceRepository: ${stagingRepo}\n`));
        assert.strictEqual((await authed.headManifest(prodRepo, a.indexDigest))?.digest, a.indexDigest);
    });

    it("release --mirror: one build in three repositories, each layer uploaded once per registry", async () => {
        const primary = uniqueRepo(LOCAL, "mirror-primary");
        const sameRegistry = uniqueRepo(LOCAL, "mirror-same");
        const otherRegistry = uniqueRepo(LOCAL_AUTH, "mirror-other");
        const uploaded: Record<string, number> = {};
        const counting = new RegistryClient({
            credentials: { [LOCAL_AUTH]: AUTH_CREDS },
            retry,
            onTransfer: (e) => (uploaded[e.registry] = (uploaded[e.registry] ?? 0) + e.bytes),
        });
        const { publish, builds } = fakePublish("mirror");
        const dir = makeRepo(primary, `sha256:${"3".repeat(64)}`);
        const r = await release(
            {
                repoRoot: dir,
                stacksDir: path.join(dir, "stacks"),
                context: "stacks",
                repository: primary,
                version: "2.1.0",
                mirrors: [sameRegistry, otherRegistry],
            },
            { client: counting, publish },
        );
        const blobBytes = r.mirrors[1].bytesCopied;
        assert.strictEqual(builds(), 1);
        assert.deepStrictEqual(
            r.mirrors.map((m) => [m.to, m.alreadyPresent, m.blobs, m.tags.map((t) => t.tag)]),
            [
                [sameRegistry, false, { mounted: 5, copied: 0, present: 0 }, r.record.tags],
                [otherRegistry, false, { mounted: 0, copied: 5, present: 0 }, r.record.tags],
            ],
        );
        // 5000 got the layers once (the build); the mount moved none; 5001 got them once.
        assert.deepStrictEqual(uploaded, { [LOCAL]: blobBytes, [LOCAL_AUTH]: blobBytes });
        for (const repo of [primary, sameRegistry, otherRegistry]) {
            for (const tag of r.record.tags) {
                assert.strictEqual(
                    (await counting.headManifest(repo, tag))?.digest,
                    r.record.digest,
                    `${repo}:${tag}`,
                );
            }
        }
    });

    it("release --mirror refuses a bad mirror before building", async () => {
        const primary = uniqueRepo(LOCAL, "mirror-bad");
        const dir = makeRepo(primary, `sha256:${"4".repeat(64)}`);
        let built = 0;
        const publish = (): Promise<PublishResult> => {
            built++;
            return Promise.reject(new Error("must not build"));
        };
        await assert.rejects(
            release(
                {
                    repoRoot: dir,
                    stacksDir: path.join(dir, "stacks"),
                    context: "stacks",
                    repository: primary,
                    version: "2.1.0",
                    mirrors: [
                        `${LOCAL_AUTH}/m/app:1.0`,
                        primary,
                        `${LOCAL_AUTH}/m/x`,
                        `${LOCAL_AUTH}/m/x`,
                        "UPPER/case",
                    ],
                },
                { client: anonymous, publish },
            ),
            {
                message: [
                    `--mirror "${LOCAL_AUTH}/m/app:1.0": must be a repository without a tag or digest`,
                    `--mirror "${primary}": is the release repository itself`,
                    `--mirror "${LOCAL_AUTH}/m/x": given twice`,
                    `--mirror "UPPER/case": repository path "UPPER/case" must be lowercase`,
                ].join("\n"),
            },
        );
        assert.strictEqual(built, 0);
    });
});
