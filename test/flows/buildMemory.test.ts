import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BuildCache, publishImage } from "../../src/builder";
import { buildPushSign, recordBuild, registryBuildMemory } from "../../src/flows";
import { parsePrivateKey, signDigest, signRelease, SigningKey } from "../../src/signing";
import { RecordingEngine } from "../fixtures/builder/engines";
import { testClient } from "../fixtures/cli/scenarios";
import { LOCAL, pushTestImage, TestImage, uniqueRepo } from "../fixtures/registry/testImage";

const SIGNING = path.join(__dirname, "..", "fixtures", "signing");
const keyOf = (file: string, password?: string): SigningKey =>
    parsePrivateKey(fs.readFileSync(path.join(SIGNING, file), "utf8"), password, file);
const RELEASE = keyOf("cosign.key", "image-release-test-only");
const OTHER = keyOf("plain.key");
const K = (c: string) => c.repeat(64);
const HELLO = path.join(__dirname, "..", "..", "examples", "hello");

/**
 * The registry's memory of builds (`buildkey-<key>`): what a fresh CI runner reuses instead of building,
 * and every way a record that anyone with push rights could write is refused.
 */
describe("registryBuildMemory: a build record counts only with a signature and provenance naming its key @integration", function () {
    this.timeout(60_000);
    const client = testClient();
    let repo: string;
    let signed: TestImage;
    let unsigned: TestImage;
    let otherKey: TestImage;
    let noKey: TestImage;
    const provenance = (buildKey?: string) => ({
        source: "https://github.com/example/app",
        gitSha: "0123abc",
        version: "1.2.3",
        platforms: ["linux/amd64", "linux/arm64"],
        buildArgs: {},
        sourceDateEpoch: 1700000000,
        builderVersion: "test",
        ...(buildKey !== undefined ? { buildKey } : {}),
    });

    before(async () => {
        repo = uniqueRepo(LOCAL, "build-memory");
        signed = await pushTestImage(client, repo, "signed");
        unsigned = await pushTestImage(client, repo, "unsigned");
        otherKey = await pushTestImage(client, repo, "other-key");
        noKey = await pushTestImage(client, repo, "no-key");
        await signRelease(client, repo, signed.indexDigest, RELEASE, provenance(K("a")));
        await recordBuild(client, repo, K("a"), signed.indexDigest);
        // Records pointed by hand at digests the release key does not vouch for in the same way.
        await client.retag(repo, signed.indexDigest, `buildkey-${K("b")}`);
        await client.retag(repo, unsigned.indexDigest, `buildkey-${K("c")}`);
        await signRelease(client, repo, otherKey.indexDigest, OTHER, provenance(K("d")));
        await client.retag(repo, otherKey.indexDigest, `buildkey-${K("d")}`);
        await signDigest(client, repo, noKey.indexDigest, RELEASE);
        await signRelease(client, repo, noKey.indexDigest, RELEASE, provenance());
        await client.retag(repo, noKey.indexDigest, `buildkey-${K("e")}`);
    });

    it("answers each build key: the vouched digest, no record, or a refusal that says why", async () => {
        const memory = registryBuildMemory(client, repo, RELEASE);
        const where = (key: string, digest: string) => `${repo}:buildkey-${key} -> ${digest}`;
        const cases: [string, unknown][] = [
            [K("a"), { digest: signed.indexDigest }],
            [K("f"), undefined],
            [
                K("b"),
                {
                    refused: `${where(K("b"), signed.indexDigest)}: its provenance signed by ${RELEASE.id} names build key ${K("a")}, not ${K("b")}`,
                },
            ],
            [
                K("c"),
                {
                    refused: `${where(K("c"), unsigned.indexDigest)}: ${repo}@${unsigned.indexDigest} is not signed (no signature in ${repo}:${unsigned.indexDigest.replace(":", "-")}.sig); trusted key(s): ${RELEASE.id} (the release key)`,
                },
            ],
            [
                K("d"),
                {
                    refused: `${where(K("d"), otherKey.indexDigest)}: ${repo}@${otherKey.indexDigest}: none of its 1 signature(s) verifies with the trusted key(s) ${RELEASE.id} (the release key) (signed by another key, or the signed payload was changed)`,
                },
            ],
            [
                K("e"),
                {
                    refused: `${where(K("e"), noKey.indexDigest)}: its provenance signed by ${RELEASE.id} names no build key, not ${K("e")}`,
                },
            ],
        ];
        for (const [key, want] of cases)
            assert.deepStrictEqual(await memory.find(key), want, key.slice(0, 4));
    });
});

describe("a fresh CI runner releases an unchanged context with 0 engine builds @integration", function () {
    this.timeout(180_000);
    const client = testClient();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-fresh-runner-"));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("the first runner builds, signs and files the record; a second one with an empty cache reuses it", async () => {
        const repository = uniqueRepo(LOCAL, "fresh-runner");
        const runner = async (name: string) => {
            const engine = new RecordingEngine();
            const lines: string[] = [];
            const r = await buildPushSign(
                {
                    context: HELLO,
                    repository,
                    platforms: ["linux/amd64", "linux/arm64"],
                    version: "1.2.3",
                    gitSha: "0123abc",
                    sourceDateEpoch: 1700000000,
                    tags: ["1.2.3", "1.2", "1", "git-0123abc"],
                    key: RELEASE,
                },
                {
                    client,
                    onProgress: (l) => lines.push(l),
                    // Each runner has its own empty cache directory: nothing is shared but the registry.
                    publish: (o) =>
                        publishImage({ ...o, engine, cache: new BuildCache(path.join(tmp, name)) }),
                },
            );
            return { r, builds: engine.ids.length, lines };
        };
        const first = await runner("first");
        assert.deepStrictEqual([first.builds, first.r.published.built], [2, true]);
        const record = await client.headManifest(repository, `buildkey-${first.r.published.buildKey}`);
        assert.strictEqual(record?.digest, first.r.published.digest);
        const second = await runner("second");
        assert.deepStrictEqual(
            [
                second.builds,
                second.r.published.built,
                second.r.published.digest,
                second.r.published.platformDigests,
            ],
            [0, false, first.r.published.digest, first.r.published.platformDigests],
        );
        assert.ok(
            second.lines.includes(
                `the registry remembers build ${first.r.published.buildKey.slice(0, 12)} as ${first.r.published.digest}`,
            ),
            second.lines.join("\n"),
        );
    });
});
