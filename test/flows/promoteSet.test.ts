import * as assert from "assert";
import { history, promote, Refusal, rollback, status } from "../../src/flows";
import { renderHistory } from "../../src/cli/output";
import { pushTestImage, TestImage } from "../fixtures/registry/testImage";
import { commitAll, git, makeRepo, readStack } from "../fixtures/cli/repo";
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
            "@@ -1,23 +1,23 @@",
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
            '     image-release:requireVerification: "false"',
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
        // Each image's release notes go into its section; here the seam says why there are none.
        const releaseNotes = (q: { repository: string; digest: string }) =>
            Promise.reject(
                new Error(`no notes for ${q.repository.split("/").pop()} ${q.digest.slice(7, 19)}`),
            );
        const r = await promote(
            { ...o, from: "staging", to: "prod", git: true, retag: true },
            { ...deps, releaseNotes },
        );
        // --retag moves each image's own channel tag, in its own repository.
        assert.deepStrictEqual(
            [
                (await client.headManifest(`${repo}/api`, "prod"))?.digest,
                (await client.headManifest(`${repo}/worker`, "prod"))?.digest,
            ],
            [A1.digest, W1.digest],
        );
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
                "#### Release notes",
                "",
                `(release notes unavailable: no notes for ${name} ${x.digest.slice(7, 19)})`,
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

    it("--retag: a channel tag that fails to move puts the ones already moved back, and the file", async () => {
        const { dir, o } = repoWith([[A1, W1]]);
        await client.retag(`${repo}/api`, A0.digest, "prod", { force: true });
        await client.retag(`${repo}/worker`, W0.digest, "prod", { force: true });
        const before = readStack(dir, "prod");
        // The worker's registry refuses the retag after api's tag already moved.
        const failing = Object.create(client) as typeof client;
        failing.retag = (name, digest, tag, opts) =>
            name.endsWith("/worker")
                ? Promise.reject(new Error("registry said no"))
                : client.retag(name, digest, tag, opts);
        await assert.rejects(
            promote({ ...o, from: "staging", to: "prod", retag: true }, { ...deps, client: failing }),
            { message: "registry said no" },
        );
        assert.deepStrictEqual(
            [
                (await client.headManifest(`${repo}/api`, "prod"))?.digest,
                (await client.headManifest(`${repo}/worker`, "prod"))?.digest,
                readStack(dir, "prod"),
            ],
            [A0.digest, W0.digest, before],
        );
    });

    it("refuses a combination that never ran together in staging, and writes nothing", async () => {
        // api 1.3.0 ran with worker 1.2.0, worker 1.3.0 with api 1.2.0; the two new ones never together.
        const { dir, o } = repoWith([
            [A1, W0],
            [A0, W1],
        ]);
        writeStack(dir, "staging", setStackText("staging", repo, A1, W1));
        const before = readStack(dir, "prod");
        await assert.rejects(
            promote({ ...o, from: "staging", to: "prod" }, deps),
            (e: Error) =>
                e instanceof Refusal &&
                e.message ===
                    `images api ${A1.digest}, worker ${W1.digest} never ran together in stack "staging" (no committed version of stacks/Pulumi.staging.yaml pins this combination); refusing to promote the set to "prod"`,
        );
        assert.strictEqual(readStack(dir, "prod"), before);

        // Each image on its own did run: --image moves that one, and only its lines change.
        const r = await promote({ ...o, from: "staging", to: "prod", image: "worker" }, deps);
        assert.strictEqual(r.diff, prodDiff(undefined, [W0, W1]));
        assert.strictEqual(readStack(dir, "prod"), setStackText("prod", repo, A0, W1));
        assert.deepStrictEqual(r.images, [
            { name: "worker", digest: W1.digest, version: "1.3.0", previousDigest: W0.digest },
        ]);
    });

    it("dev builds its set: its `releases` output is the combination that ran, promoted as one edit", async () => {
        const { dir, o } = repoWith([]);
        const devText = (build: string) =>
            [
                "config:",
                "    image-release:channel: dev",
                "    image-release:images:",
                ...["api", "worker"].flatMap((name) => [
                    `        ${name}:`,
                    `            repository: ${repo}/${name}`,
                    `            build: {context: ${build}/${name}}`,
                ]),
                "",
            ].join("\n");
        writeStack(dir, "dev", devText("examples/shop"));
        writeStack(dir, "staging", setStackText("staging", repo, A0, W0));
        commitAll(dir, "dev builds its set", 2);
        const record = (name: string, x: Member) => ({
            repository: `${repo}/${name}`,
            version: x.version,
            digest: x.digest,
            ref: `${repo}/${name}@${x.digest}`,
            tags: [x.version],
            platforms: ["linux/amd64", "linux/arm64"],
            platformDigests: {},
            gitSha: x.gitSha,
            sourceStack: "dev",
        });
        const asked: string[] = [];
        const outputs = (releases: unknown) => ({
            client,
            stackOutputs: async (_root: string, stack: string, output?: string) => {
                asked.push(`${stack} ${output ?? "release"}`);
                return output === "releases" && releases !== undefined ? { value: releases } : undefined;
            },
        });
        const r = await promote(
            { ...o, from: "dev", to: "staging", git: true },
            outputs({ api: record("api", A1), worker: record("worker", W1) }),
        );
        assert.deepStrictEqual(asked, ["dev release", "dev releases"]);
        assert.strictEqual(readStack(dir, "staging"), setStackText("staging", repo, A1, W1));
        assert.deepStrictEqual(r.images, [
            { name: "api", digest: A1.digest, version: "1.3.0", previousDigest: A0.digest },
            { name: "worker", digest: W1.digest, version: "1.3.0", previousDigest: W0.digest },
        ]);
        assert.ok(
            r.pr?.body.includes(
                "`dev` ran this combination: its last `pulumi up` exported api, worker together (`pulumi stack output releases --json --stack dev`)",
            ),
            r.pr?.body,
        );

        // No backend answers for dev: nothing says what ran, so nothing moves.
        writeStack(dir, "staging", setStackText("staging", repo, A0, W0));
        await assert.rejects(promote({ ...o, from: "dev", to: "staging" }, outputs(undefined)), {
            name: "Refusal",
            message:
                'stack "dev" pins no digest for image "api" and exported none (run `pulumi up --stack dev` first); nothing to promote',
        });
        await assert.rejects(promote({ ...o, from: "dev", to: "staging" }, outputs(["x"])), {
            name: "Refusal",
            message:
                'stack "dev" output releases: expected a map of image name to release record (got ["x"])',
        });
        assert.strictEqual(readStack(dir, "staging"), setStackText("staging", repo, A0, W0));
    });

    it("--image: a digest that never ran alone is refused; an unknown image is named", async () => {
        const { dir, o } = repoWith([]);
        writeStack(dir, "staging", setStackText("staging", repo, A1, W0));
        await assert.rejects(
            promote({ ...o, from: "staging", to: "prod", image: "api" }, deps),
            new Refusal(
                `image "api" digest ${A1.digest} never ran in stack "staging" (not in a committed version of stacks/Pulumi.staging.yaml or its recorded outputs); refusing to promote it to "prod"`,
            ),
        );
        await assert.rejects(
            promote({ ...o, from: "staging", to: "prod", image: "cron" }, deps),
            new Refusal(`stack "staging" has no image "cron" (images: api, worker)`),
        );
        await assert.rejects(
            promote({ ...o, from: "staging", to: "prod", image: "worker" }, deps),
            new Refusal(`stack "prod" already runs worker ${W0.digest}; nothing to promote`),
        );
    });

    it("refuses to move a set between stacks that pin different images, naming them", async () => {
        const { dir, o } = repoWith([[A1, W1]]);
        const prod = setStackText("prod", repo, A0, W0).replace(/ {8}worker:\n(?: {12}.*\n)+/, "");
        writeStack(dir, "prod", prod);
        commitAll(dir, "prod drops worker", 3);
        await assert.rejects(
            promote({ ...o, from: "staging", to: "prod" }, deps),
            new Refusal(
                `stacks "staging" and "prod" pin different images (only in "staging": worker); a set moves as one unit only between stacks that pin the same images (move one with --image NAME)`,
            ),
        );
        assert.strictEqual(readStack(dir, "prod"), prod);
    });

    it("a 2nd image that fails its pin check writes nothing, not even the 1st", async () => {
        // worker's index holds linux/amd64 only: staging (which runs amd64 for it) ran it, prod needs arm64 too.
        const Wamd: Member = m(workerAmd64, "1.3.0", "eeeeeee");
        const dir = emptyRepo();
        writeStack(dir, "staging", setStackText("staging", repo, A1, Wamd, ["linux/amd64"]));
        writeStack(dir, "prod", setStackText("prod", repo, A0, W0));
        commitAll(dir, "stacks", 1);
        const o = { stacksDir: `${dir}/stacks`, repoRoot: dir };
        const before = readStack(dir, "prod");
        await assert.rejects(promote({ ...o, from: "staging", to: "prod", git: true }, deps), (e: Error) => {
            assert.ok(e instanceof Refusal, e.message);
            assert.match(e.message, /linux\/arm64/);
            return true;
        });
        assert.deepStrictEqual(
            [readStack(dir, "prod"), git(dir, ["rev-parse", "--abbrev-ref", "HEAD"]).trim()],
            [before, "main"],
        );
        assert.strictEqual(git(dir, ["status", "--porcelain"]), "");
    });

    it("rollback restores the previous combination as one unit; --image rolls one image back", async () => {
        const { dir, o } = repoWith([[A1, W1]]);
        await promote({ ...o, from: "staging", to: "prod" }, deps);
        commitAll(dir, "Promote the set to prod", 3);
        const promoted = git(dir, ["rev-parse", "HEAD"]).trim();
        const initial = git(dir, ["rev-list", "--max-parents=0", "HEAD"]).trim();

        const rb = await rollback({ ...o, stack: "prod" }, deps);
        assert.strictEqual(readStack(dir, "prod"), setStackText("prod", repo, A0, W0));
        assert.strictEqual(rb.diff, prodDiff([A1, A0], [W1, W0]));
        assert.deepStrictEqual(
            [rb.commit, rb.images],
            [
                initial,
                [
                    { name: "api", digest: A0.digest, version: "1.2.0", previousDigest: A1.digest },
                    { name: "worker", digest: W0.digest, version: "1.2.0", previousDigest: W1.digest },
                ],
            ],
        );
        commitAll(dir, "Roll back prod", 4);

        // Back to the newer combination (the only other one); two back there is none.
        await assert.rejects(
            rollback({ ...o, stack: "prod", to: "2" }, deps),
            new Refusal(
                `stack "prod" has only 1 earlier combination(s) of images api, worker in git history; cannot go back 2`,
            ),
        );
        await assert.rejects(
            rollback({ ...o, stack: "prod", to: A1.digest }, deps),
            new Refusal(
                `--to "${A1.digest}": stack "prod" pins a set, which steps back by whole combinations (--to N); roll one image back to a digest or version with --image NAME --to ${A1.digest}`,
            ),
        );
        const one = await rollback({ ...o, stack: "prod", image: "api", to: "1.3.0" }, deps);
        assert.strictEqual(readStack(dir, "prod"), setStackText("prod", repo, A1, W0));
        assert.deepStrictEqual([one.commit, one.diff], [promoted, prodDiff([A0, A1], undefined)]);
    });

    it("history and status show one row per image of a set", async () => {
        const { dir, o } = repoWith([[A1, W1]]);
        await promote({ ...o, from: "staging", to: "prod", retag: true }, deps);
        commitAll(dir, "Promote the set to prod", 3);
        const h = await history({ ...o, stack: "prod" });
        const short = (n: number) => git(dir, ["rev-parse", "--short=7", `HEAD~${n}`]).trim();
        assert.strictEqual(
            renderHistory(h),
            [
                "COMMIT   IMAGE   DATE                      AUTHOR       VERSION  DIGEST               MESSAGE",
                `${short(0)}  api     2024-01-03T12:00:00.000Z  Release Bot  1.3.0    ${A1.digest.slice(0, 19)}  Promote the set to prod`,
                `${short(0)}  worker  2024-01-03T12:00:00.000Z  Release Bot  1.3.0    ${W1.digest.slice(0, 19)}  Promote the set to prod`,
                `${short(2)}  api     2024-01-01T12:00:00.000Z  Release Bot  1.2.0    ${A0.digest.slice(0, 19)}  Initial stacks`,
                `${short(2)}  worker  2024-01-01T12:00:00.000Z  Release Bot  1.2.0    ${W0.digest.slice(0, 19)}  Initial stacks`,
                "",
            ].join("\n"),
        );
        const st = await status(o, deps);
        // prod's channel tags were moved with the pins; staging's were never set: each image is checked alone.
        const row = (stack: string, image: string, x: Member, tagged: boolean) => ({
            stack,
            image,
            version: x.version,
            digest: x.digest,
            channel: stack,
            ...(tagged ? { channelDigest: x.digest } : {}),
            present: true,
            drift: !tagged,
        });
        assert.deepStrictEqual(st, [
            row("prod", "api", A1, true),
            row("prod", "worker", W1, true),
            row("staging", "api", A1, false),
            row("staging", "worker", W1, false),
        ]);
    });

    it("a single-image stack names its one image after its repository; another name is refused", async () => {
        const dir = makeRepo(`${repo}/api`, A0.digest);
        const o = { stacksDir: `${dir}/stacks`, repoRoot: dir };
        await assert.rejects(
            promote({ ...o, from: "staging", to: "prod", image: "worker" }, deps),
            new Refusal(`stack "staging" has no image "worker" (images: api)`),
        );
        await assert.rejects(
            rollback({ ...o, stack: "prod", image: "worker" }, deps),
            new Refusal(`stack "prod" has no image "worker" (images: api)`),
        );
    });

    it("each image held in another repository is copied into prod's before the one write", async () => {
        const { dir, o } = repoWith([[A1, W1]]);
        // prod pulls from repositories of its own: each image is copied there, and records where from.
        const prodText = (a: Member, w: Member) =>
            setStackText("prod", repo, a, w).replace(
                /repository: (\S+)\/(api|worker)\n/g,
                "repository: $1/prod-$2\n",
            );
        writeStack(dir, "prod", prodText(A0, W0));
        commitAll(dir, "prod pulls from its own repositories", 3);
        const r = await promote({ ...o, from: "staging", to: "prod" }, deps);
        // The pin's key order (digest, version, gitSha, promotedFrom, sourceRepository), as for one image.
        const withSource = (text: string, name: string, x: Member) =>
            text.replace(
                `gitSha: "${x.gitSha}"\n            promotedFrom: staging\n`,
                `gitSha: "${x.gitSha}"\n            promotedFrom: staging\n            sourceRepository: ${repo}/${name}\n`,
            );
        assert.strictEqual(
            readStack(dir, "prod"),
            withSource(withSource(prodText(A1, W1), "api", A1), "worker", W1),
        );
        assert.deepStrictEqual(
            r.copies?.map((c) => [c.from, c.to, c.digest]),
            [
                [`${repo}/api`, `${repo}/prod-api`, A1.digest],
                [`${repo}/worker`, `${repo}/prod-worker`, W1.digest],
            ],
        );
        assert.deepStrictEqual(
            [
                (await client.headManifest(`${repo}/prod-api`, A1.digest))?.digest,
                (await client.headManifest(`${repo}/prod-worker`, W1.digest))?.digest,
            ],
            [A1.digest, W1.digest],
        );
    });
});
