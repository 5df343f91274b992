import * as assert from "assert";
import { pushTestImage } from "../fixtures/registry/testImage";
import { commitAll, git, readStack } from "../fixtures/cli/repo";
import { cliRepo, testClient } from "../fixtures/cli/scenarios";
import { emptyRepo, Member, setStackText, writeStack } from "../fixtures/sets/setRepo";
import { runIn } from "../helpers/cli";

const client = testClient();

describe("cli: promote, rollback and status of a set @integration", () => {
    it("prints each image that moves, --image moves one, status has an IMAGE column", async () => {
        const repo = cliRepo();
        const push = async (
            name: string,
            seed: string,
            version: string,
            gitSha: string,
        ): Promise<Member> => ({
            digest: (await pushTestImage(client, `${repo}/${name}`, seed)).indexDigest,
            version,
            gitSha,
        });
        const A0 = await push("api", "cli-api-0", "1.2.0", "aaaaaaa");
        const A1 = await push("api", "cli-api-1", "1.3.0", "bbbbbbb");
        const W0 = await push("worker", "cli-worker-0", "1.2.0", "ccccccc");
        const W1 = await push("worker", "cli-worker-1", "1.3.0", "ddddddd");
        const dir = emptyRepo();
        writeStack(dir, "staging", setStackText("staging", repo, A0, W0));
        writeStack(dir, "prod", setStackText("prod", repo, A0, W0));
        commitAll(dir, "Initial stacks", 1);
        writeStack(dir, "staging", setStackText("staging", repo, A1, W1));
        commitAll(dir, "staging runs 1.3.0", 2);
        const cli = (...args: string[]) => runIn([...args, "--repo-root", dir], { client });

        const one = await cli(
            "promote",
            "--from",
            "staging",
            "--to",
            "prod",
            "--image",
            "worker",
            "--dry-run",
        );
        assert.deepStrictEqual(
            [one.code, one.stderr, one.stdout.split("\n").slice(0, 4)],
            [
                0,
                "",
                [
                    "promote staging -> prod: 1 image(s)",
                    `  worker: 1.3.0 ${W1.digest} (previous: ${W0.digest})`,
                    "dry run: nothing written",
                    "--- a/stacks/Pulumi.prod.yaml",
                ],
            ],
        );
        assert.strictEqual(readStack(dir, "prod"), setStackText("prod", repo, A0, W0));

        const all = await cli("promote", "--from", "staging", "--to", "prod");
        assert.deepStrictEqual(
            [all.code, all.stderr, all.stdout],
            [
                0,
                "",
                [
                    "promote staging -> prod: 2 image(s)",
                    `  api: 1.3.0 ${A1.digest} (previous: ${A0.digest})`,
                    `  worker: 1.3.0 ${W1.digest} (previous: ${W0.digest})`,
                    "wrote stacks/Pulumi.prod.yaml",
                    "",
                ].join("\n"),
            ],
        );
        commitAll(dir, "Promote the set", 3);

        const unknown = await cli("rollback", "--stack", "prod", "--image", "cron");
        assert.deepStrictEqual(
            [unknown.code, unknown.stderr],
            [1, `image-release: stack "prod" has no image "cron" (images: api, worker)\n`],
        );
        const rb = await cli("rollback", "--stack", "prod");
        const initial = git(dir, ["rev-list", "--max-parents=0", "HEAD"]).trim();
        assert.deepStrictEqual(
            [rb.code, rb.stderr, rb.stdout],
            [
                0,
                "",
                [
                    `rollback prod: 2 image(s) (from commit ${initial.slice(0, 7)})`,
                    `  api: 1.2.0 ${A0.digest} (previous: ${A1.digest})`,
                    `  worker: 1.2.0 ${W0.digest} (previous: ${W1.digest})`,
                    "wrote stacks/Pulumi.prod.yaml",
                    "",
                ].join("\n"),
            ],
        );

        const st = await cli("status");
        const row = (stack: string, image: string, x: Member) =>
            `${stack.padEnd(7)}  ${image.padEnd(6)}  ${x.version}    ${x.digest.slice(0, 19)}  ${stack.padEnd(7)}  -          yes          DRIFT`;
        assert.deepStrictEqual(
            [st.code, st.stderr, st.stdout],
            [
                0,
                "",
                [
                    "STACK    IMAGE   VERSION  DIGEST               CHANNEL  CHANNEL->  IN REGISTRY  DRIFT",
                    row("prod", "api", A0),
                    row("prod", "worker", W0),
                    row("staging", "api", A1),
                    row("staging", "worker", W1),
                    "",
                ].join("\n"),
            ],
        );
    });
});

describe("cli: verify checks every image of a set @integration", () => {
    it("names the image whose pin is gone from its repository; the other image passes", async () => {
        const repo = cliRepo();
        const api = (await pushTestImage(client, `${repo}/api`, "verify-api")).indexDigest;
        const gone = `sha256:${"9".repeat(64)}`;
        const dir = emptyRepo();
        const A: Member = { digest: api, version: "1.2.0", gitSha: "aaaaaaa" };
        const W: Member = { digest: gone, version: "1.2.0", gitSha: "ccccccc" };
        writeStack(dir, "staging", setStackText("staging", repo, A, W));
        commitAll(dir, "staging", 1);
        const r = await runIn(["verify", "--repo-root", dir, "--json"], { client });
        const out = JSON.parse(r.stdout) as { ok: boolean; findings: string[] };
        assert.deepStrictEqual(out.findings, [
            `stack staging image worker pins ${gone}, which is not in ${repo}/worker`,
        ]);
        assert.strictEqual(r.code, 1);
    });
});
