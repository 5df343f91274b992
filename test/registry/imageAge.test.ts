import * as assert from "assert";
import { ImageAge } from "../../src/release";
import { testClient } from "../fixtures/cli/scenarios";
import { emptyRepository } from "../fixtures/retention/registry";
import { LOCAL, pushTestImage, TEST_CREATED, uniqueRepo } from "../fixtures/registry/testImage";

const client = testClient();
const ABSENT = `sha256:${"0".repeat(64)}`;

describe("registry: an image's age and an index's manifests @integration", () => {
    const repo = uniqueRepo(LOCAL, "age");
    const pushed: string[] = [];
    after(() => emptyRepository(client, repo, pushed));

    it("created from the configs; an index's manifests with their platforms; what is not there", async () => {
        const img = await pushTestImage(client, repo, "age-one");
        const noTime = await pushTestImage(client, repo, "age-two", undefined, "");
        pushed.push(img.indexDigest, noTime.indexDigest);
        const [amd64, arm64] = ["linux/amd64", "linux/arm64"].map((p) => img.platformDigests[p]);
        const rows: [string, Promise<ImageAge>, ImageAge][] = [
            ["an index", client.imageAge(repo, img.indexDigest), { created: TEST_CREATED }],
            ["a platform image", client.imageAge(repo, amd64), { created: TEST_CREATED }],
            [
                "an index whose configs have no time",
                client.imageAge(repo, noTime.indexDigest),
                { problem: `the config of ${noTime.platformDigests["linux/amd64"]} has no created time` },
            ],
            [
                "a digest not there",
                client.imageAge(repo, ABSENT),
                { problem: `digest ${ABSENT} not found in repo ${repo}` },
            ],
        ];
        for (const [name, got, want] of rows) assert.deepStrictEqual(await got, want, name);
        assert.deepStrictEqual(await client.manifestChildren(repo, img.indexDigest), [
            { digest: amd64, platform: "linux/amd64" },
            { digest: arm64, platform: "linux/arm64" },
        ]);
        assert.deepStrictEqual(await client.manifestChildren(repo, amd64), []);
        assert.strictEqual(await client.manifestChildren(repo, ABSENT), undefined);
    });
});
