import * as assert from "assert";
import * as path from "path";
import { promote } from "../../src/flows";
import { run } from "../../src/cli";
import { TestImage } from "../fixtures/registry/testImage";
import { commitAll, makeRepo, writeDevOutputs } from "../fixtures/cli/repo";
import { releasedElsewhere, testClient, twoImages } from "../fixtures/cli/scenarios";
import { runCli } from "../helpers/cli";

const client = testClient();
const deps = { client };

describe("cli status @integration", () => {
    let repo: string;
    let img0: TestImage;
    let img1: TestImage;

    before(async () => {
        ({ repo, img0, img1 } = await twoImages(client));
    });

    it("after dev -> staging (--retag) and staging -> prod: the table and --json, exit 0", async () => {
        const d0 = img0.indexDigest;
        const d1 = img1.indexDigest;
        const dir = makeRepo(repo, d0);
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        writeDevOutputs(dir, repo, d1, "1.4.1", img1.platformDigests);
        await promote({ ...o, from: "dev", to: "staging", retag: true }, deps);
        commitAll(dir, "Promote 1.4.1 to staging", 2);
        await promote({ ...o, from: "staging", to: "prod", git: true }, deps);
        const want = [
            { stack: "dev", version: "1.4.1", digest: d1, channel: "dev", present: true, drift: true },
            { stack: "prod", version: "1.4.1", digest: d1, channel: "prod", present: true, drift: true },
            {
                stack: "staging",
                version: "1.4.1",
                digest: d1,
                channel: "staging",
                channelDigest: d1,
                present: true,
                drift: false,
            },
        ];
        const sh = d1.slice(0, 19);
        const human = await runCli(["status", "--repo-root", dir]);
        assert.strictEqual(human.code, 0);
        assert.strictEqual(
            human.stdout,
            [
                "STACK    VERSION  DIGEST               CHANNEL  CHANNEL->            IN REGISTRY  DRIFT",
                `dev      1.4.1    ${sh}  dev      -                    yes          DRIFT`,
                `prod     1.4.1    ${sh}  prod     -                    yes          DRIFT`,
                `staging  1.4.1    ${sh}  staging  ${sh}  yes          no`,
                "",
            ].join("\n"),
        );
        const json = await runCli(["status", "--repo-root", dir, "--json"]);
        assert.strictEqual(json.stdout, JSON.stringify(want, null, 2) + "\n");
    });

    it("dev released into another repository: the row is marked and explained under the table; --json", async () => {
        const { released, rel, pinned, dir, warning, want } = await releasedElsewhere(client);
        const sh = (d: string) => d.slice(0, 19);
        const human = await runCli(["status", "--repo-root", dir]);
        assert.deepStrictEqual(
            [human.code, human.stdout, human.stderr],
            [
                0,
                [
                    "STACK    VERSION  DIGEST               CHANNEL  CHANNEL->            IN REGISTRY  DRIFT",
                    `dev      2.0.0    ${sh(rel.indexDigest)}  dev      ${sh(rel.indexDigest)}  yes*         no`,
                    `prod     1.4.0    ${sh(pinned.indexDigest)}  prod     ${sh(pinned.indexDigest)}  yes          no`,
                    `staging  1.4.0    ${sh(pinned.indexDigest)}  staging  ${sh(pinned.indexDigest)}  yes          no`,
                    `* ${warning}; IN REGISTRY and DRIFT are for ${released}`,
                    "",
                ].join("\n"),
                "",
            ],
        );
        const json = await runCli(["status", "--repo-root", dir, "--json"]);
        assert.deepStrictEqual(
            [json.code, json.stdout, json.stderr],
            [0, JSON.stringify(want, null, 2) + "\n", ""],
        );
    });

    it("status --concurrency takes an integer >= 1 only; a bad value exits 2 naming it", async () => {
        const dir = makeRepo(repo, img0.indexDigest);
        for (const bad of ["abc", "0", "-1", "1.5", "", "1e3"]) {
            let out = "";
            let err = "";
            const code = await run(
                ["status", "--repo-root", dir, `--concurrency=${bad}`],
                { out: (x) => (out += x), err: (x) => (err += x) },
                deps,
            );
            assert.deepStrictEqual(
                [code, out, err],
                [
                    2,
                    "",
                    `error: option '--concurrency <n>' argument '${bad}' is invalid. --concurrency must be an integer >= 1 (got "${bad}")\n`,
                ],
                bad,
            );
        }
        let out = "";
        assert.strictEqual(
            await run(
                ["status", "--repo-root", dir, "--concurrency", "1", "--json"],
                { out: (x) => (out += x), err: (x) => (out += x) },
                deps,
            ),
            0,
        );
        assert.deepStrictEqual(
            (JSON.parse(out) as { stack: string; present?: boolean }[]).map((r) => [r.stack, r.present]),
            [
                ["dev", undefined],
                ["prod", true],
                ["staging", true],
            ],
        );
    });
});
