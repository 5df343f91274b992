import * as assert from "assert";
import { history, promote, Refusal, rollback, status } from "../../src/flows";
import { renderHistory } from "../../src/cli/output";
import { pushTestImage, TestImage } from "../fixtures/registry/testImage";
import { commitAll, git, readStack } from "../fixtures/cli/repo";
import { cliRepo, testClient } from "../fixtures/cli/scenarios";
import { emptyRepo, Member, setStackText, writeStack } from "../fixtures/sets/setRepo";

const client = testClient();
// No Pulumi backend in these tests: the source's record is its committed stack file.
const deps = { client, stackOutputs: async () => undefined };

describe("promote and rollback a set @integration", () => {
    let repo: string;
    let api0: TestImage;
    let api1: TestImage;
    let worker0: TestImage;
    let worker1: TestImage;
    let workerAmd64: TestImage;
    void (() => workerAmd64);
    const m = (img: TestImage, version: string, gitSha: string): Member => ({
        digest: img.indexDigest,
        version,
        gitSha,
    });
    let A0: Member;
    let A1: Member;
    let W0: Member;
    let W1: Member;

    before(async () => {
        repo = cliRepo();
        api0 = await pushTestImage(client, `${repo}/api`, "api-zero");
        api1 = await pushTestImage(client, `${repo}/api`, "api-one");
        worker0 = await pushTestImage(client, `${repo}/worker`, "worker-zero");
        worker1 = await pushTestImage(client, `${repo}/worker`, "worker-one");
        workerAmd64 = await pushTestImage(client, `${repo}/worker`, "worker-amd64", [["linux", "amd64"]]);
        A0 = m(api0, "1.2.0", "aaaaaaa");
        A1 = m(api1, "1.3.0", "bbbbbbb");
        W0 = m(worker0, "1.2.0", "ccccccc");
        W1 = m(worker1, "1.3.0", "ddddddd");
    });

    /** The diff of the prod file when api and worker move from [0] to [1] (undefined: it stays). */
    function prodDiff(api: [Member, Member] | undefined, worker: [Member, Member] | undefined): string {
        const pin = (x: Member, y: Member | undefined) =>
            y === undefined
                ? [
                      `             digest: ${x.digest}`,
                      `             version: ${x.version}`,
                      `             gitSha: "${x.gitSha}"`,
                  ]
                : [
                      `-            digest: ${x.digest}`,
                      `-            version: ${x.version}`,
                      `-            gitSha: "${x.gitSha}"`,
                      `+            digest: ${y.digest}`,
                      `+            version: ${y.version}`,
                      `+            gitSha: "${y.gitSha}"`,
                  ];
        return [
            "--- a/stacks/Pulumi.prod.yaml",
            "+++ b/stacks/Pulumi.prod.yaml",
            "@@ -1,22 +1,22 @@",
            " # prod pins a set: api and worker move together.",
            " config:",
            "     image-release:channel: prod",
            "     image-release:promoteFrom: staging",
            "     image-release:platforms:",
            "         - linux/amd64",
            "         - linux/arm64",
            "     image-release:images:",
            "         api:",
            `             repository: ${repo}/api`,
            ...pin(api?.[0] ?? A0, api?.[1]),
            "             promotedFrom: staging",
            "         worker:",
            `             repository: ${repo}/worker`,
            ...pin(worker?.[0] ?? W0, worker?.[1]),
            "             promotedFrom: staging",
            "     image-release:namespace: prod",
            '     image-release:requireSignature: "false"',
            "",
        ].join("\n");
    }

    /** staging and prod at (A0, W0), committed; then each staging revision committed in turn. */
    function repoWith(stagingRevisions: [Member, Member][]): {
        dir: string;
        o: { stacksDir: string; repoRoot: string };
    } {
        const dir = emptyRepo();
        writeStack(dir, "staging", setStackText("staging", repo, A0, W0));
        writeStack(dir, "prod", setStackText("prod", repo, A0, W0));
        commitAll(dir, "Initial stacks", 1);
        stagingRevisions.forEach(([a, w], i) => {
            writeStack(dir, "staging", setStackText("staging", repo, a, w));
            commitAll(dir, `staging ${i + 2}`, i + 2);
        });
        return { dir, o: { stacksDir: `${dir}/stacks`, repoRoot: dir } };
    }

    it("moves the whole set staging -> prod as one edit, one diff, one commit", async () => {
        const { dir, o } = repoWith([[A1, W1]]);
        const r = await promote({ ...o, from: "staging", to: "prod", git: true }, deps);
        assert.strictEqual(r.diff, prodDiff([A0, A1], [W0, W1]));
        assert.strictEqual(readStack(dir, "prod"), setStackText("prod", repo, A1, W1));
        assert.deepStrictEqual(r.images, [
            { name: "api", digest: A1.digest, version: "1.3.0", previousDigest: A0.digest },
            { name: "worker", digest: W1.digest, version: "1.3.0", previousDigest: W0.digest },
        ]);
        const image = (name: string, x: Member, was: Member) =>
            `image ${name}: version ${x.version}, digest ${x.digest}, platforms linux/amd64, linux/arm64, previous digest ${was.digest}`;
        assert.strictEqual(
            git(dir, ["log", "-1", "--format=%B"]),
            [
                "Promote api 1.3.0, worker 1.3.0 from staging to prod",
                "",
                "from: staging",
                "to: prod",
                image("api", A1, A0),
                image("worker", W1, W0),
                "",
                "",
            ].join("\n"),
        );
        // One branch, named by the combination; HEAD is on it.
        assert.match(r.branch ?? "", /^promote\/prod-set-[0-9a-f]{12}$/);
        assert.strictEqual(git(dir, ["rev-parse", "--abbrev-ref", "HEAD"]).trim(), r.branch);
        assert.strictEqual(git(dir, ["status", "--porcelain", "--", "stacks"]), "");
        const body = r.pr?.body ?? "";
        const commit = git(dir, [
            "log",
            "-1",
            "--format=%h",
            "main",
            "--",
            "stacks/Pulumi.staging.yaml",
        ]).trim();
        const section = (name: string, x: Member, was: Member, img: TestImage) =>
            [
                `### ${name}`,
                "",
                `- Image: \`${repo}/${name}@${x.digest}\``,
                `- Version: ${x.version}`,
                `- Replaces: \`${was.digest}\``,
                `- Release notes: \`image-release notes --version ${x.version} --repository ${repo}/${name}\``,
                "",
                "Verified in the registry: the index exists and covers every platform this image requires:",
                "",
                "| Platform | Manifest digest |",
                "| --- | --- |",
                `| linux/amd64 | \`${img.platformDigests["linux/amd64"]}\` |`,
                `| linux/arm64 | \`${img.platformDigests["linux/arm64"]}\` |`,
                "",
                "",
            ].join("\n");
        const head = [
            "Promotes `staging` → `prod`, 2 images as one unit: api, worker. No rebuild: each pin is the digest below.",
            "",
            "## Why these images may go here together",
            "",
            `- \`staging\` ran this combination: commit ${commit} pinned it in stacks/Pulumi.staging.yaml`,
            "",
            "## Images",
            "",
            "",
        ].join("\n");
        assert.strictEqual(
            body,
            head +
                section("api", A1, A0, api1) +
                section("worker", W1, W0, worker1) +
                ["## The pin diff", "", "```diff", r.diff + "```", "", ""].join("\n") +
                "After merge: `pulumi preview --stack prod` (checks the pin), then `pulumi up --stack prod`.\n",
        );
    });
});

void history;
void rollback;
void status;
void renderHistory;
void Refusal;
