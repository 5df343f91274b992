import * as assert from "assert";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PublishFn, promote, release } from "../../src/cli";
import { RegistryClient } from "../../src/registry";
import { pushTestImage } from "../fixtures/registry/testImage";
import { commitAll, git, makeRepo } from "../fixtures/cli/repo";

const client = new RegistryClient({
    retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
    timeoutMs: 5000,
});

describe("cli release @integration", () => {
    it("publishes the tag set, writes the dev record and notes, and promote --from dev reads it", async () => {
        const repo = `127.0.0.1:5000/test/cli-release-${randomBytes(4).toString("hex")}`;
        const seed = await pushTestImage(client, repo, "cli-release-0");
        const dir = makeRepo(repo, seed.indexDigest);
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "x", version: "2.3.4" }));
        commitAll(dir, "version 2.3.4", 2);
        const sha = git(dir, ["rev-parse", "HEAD"]).trim();
        const calls: Parameters<PublishFn>[0][] = [];
        // The engine build is src/build's to test; here a real push of a small index stands in for it.
        const publish: PublishFn = async (o) => {
            calls.push(o);
            const img = await pushTestImage(o.client, o.repository, "cli-release-1");
            await o.client.applyTags(o.repository, img.indexDigest, o.tags);
            return {
                digest: img.indexDigest,
                ref: `${o.repository}@${img.indexDigest}`,
                tags: o.tags,
                platformDigests: img.platformDigests,
                built: true,
            };
        };
        const o = { repoRoot: dir, stacksDir: path.join(dir, "stacks"), repository: repo };
        const r = await release(o, { client, publish, env: { SOURCE_DATE_EPOCH: "1700000000" } });
        const tags = ["2.3.4", "2.3", "2", `git-${sha.slice(0, 7)}`, "dev"];
        assert.deepStrictEqual(
            calls.map((c) => [
                c.context,
                c.platforms,
                c.version,
                c.gitSha,
                c.sourceDateEpoch,
                c.tags,
                c.labels,
            ]),
            [
                [
                    path.join(dir, "examples/hello"),
                    ["linux/amd64", "linux/arm64"],
                    "2.3.4",
                    sha,
                    1700000000,
                    tags,
                    {
                        "org.opencontainers.image.version": "2.3.4",
                        "org.opencontainers.image.revision": sha,
                        "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
                    },
                ],
            ],
        );
        const digest = r.record.digest;
        const record = {
            repository: repo,
            version: "2.3.4",
            digest,
            ref: `${repo}@${digest}`,
            tags,
            platforms: ["linux/amd64", "linux/arm64"],
            platformDigests: r.record.platformDigests,
            gitSha: sha,
            sourceStack: "dev",
        };
        assert.deepStrictEqual(r.record, record);
        assert.strictEqual(
            fs.readFileSync(path.join(dir, ".image-release", "outputs", "dev.json"), "utf8"),
            JSON.stringify(record, null, 2) + "\n",
        );
        assert.deepStrictEqual(r.notes.tags, tags);
        assert.ok(fs.existsSync(path.join(dir, ".image-release", "notes", "2.3.4.md")));
        const p = await promote(
            { repoRoot: dir, stacksDir: o.stacksDir, from: "dev", to: "staging" },
            { client },
        );
        assert.deepStrictEqual([p.digest, p.version, p.written], [digest, "2.3.4", true]);
    });
});
