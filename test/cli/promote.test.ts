import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { run } from "../../src/cli";
import { RegistryClient } from "../../src/registry";
import {
    AUTH_CREDS,
    LOCAL,
    LOCAL_AUTH,
    pushTestImage,
    TestImage,
    uniqueRepo,
} from "../fixtures/registry/testImage";
import { startProxy } from "../fixtures/registry/proxy";
import {
    commitAll,
    git,
    makeRepo,
    readStack as read,
    stackPath,
    writeDevOutputs,
} from "../fixtures/cli/repo";
import { repoWithProdElsewhere, testClient, twoImages } from "../fixtures/cli/scenarios";
import { runCli } from "../helpers/cli";

const client = testClient();
const deps = { client };
const retry = { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 };
const authed = new RegistryClient({ credentials: { [LOCAL_AUTH]: AUTH_CREDS }, retry });
const anonymous = new RegistryClient({ retry });

describe("cli promote: refusals exit 1 with the one stderr line, and leave every file as it was @integration", () => {
    let repo: string;
    let img0: TestImage;
    let img1: TestImage;
    let dir: string;
    const before: Record<string, string> = {};

    globalThis.before(async () => {
        ({ repo, img0, img1 } = await twoImages(client));
    });
    beforeEach(() => {
        dir = makeRepo(repo, img0.indexDigest);
        for (const s of ["dev", "staging", "prod"]) before[s] = read(dir, s);
    });
    const unchanged = () => {
        for (const s of ["dev", "staging", "prod"]) assert.strictEqual(read(dir, s), before[s], s);
    };

    it("retag fails after the write: the file, the branch and the commit are put back", async () => {
        // Reads pass through; the manifest PUT of the retag fails, as a registry outage mid-promotion would.
        const proxy = await startProxy((req, res, forward) => {
            if (req.method === "PUT" && (req.url ?? "").includes("/manifests/")) {
                res.writeHead(503, { "content-type": "application/json" });
                res.end(JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "maintenance" }] }));
            } else {
                forward();
            }
        });
        try {
            // The staging tag must really move, so it first points elsewhere.
            await client.retag(repo, img0.indexDigest, "staging");
            const via = repo.replace("127.0.0.1:5000", proxy.registry);
            for (const st of ["dev", "staging", "prod"]) {
                const f = path.join(dir, "stacks", `Pulumi.${st}.yaml`);
                fs.writeFileSync(f, before[st].split(repo).join(via));
                before[st] = read(dir, st);
            }
            commitAll(dir, "Use the proxy", 2);
            const headBefore = git(dir, ["rev-parse", "HEAD"]).trim();
            writeDevOutputs(dir, via, img1.indexDigest, "1.4.1", img1.platformDigests);
            const tagBefore = await client.headManifest(repo, "staging");
            const res = await runCli([
                "promote",
                "--repo-root",
                dir,
                "--from",
                "dev",
                "--to",
                "staging",
                "--retag",
                "--git",
            ]);
            assert.deepStrictEqual(
                [res.code, res.stdout, res.stderr],
                [
                    1,
                    "",
                    `image-release: registry ${proxy.registry} unreachable after 2 attempts: 503 Service Unavailable\n`,
                ],
            );
            // The retag was really attempted, i.e. after the write and the commit, which were undone.
            assert.ok(proxy.requests.some((q) => q.method === "PUT" && q.url.endsWith("/manifests/staging")));
            unchanged();
            assert.deepStrictEqual(await client.headManifest(repo, "staging"), tagBefore);
            assert.deepStrictEqual(
                [
                    git(dir, ["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
                    git(dir, ["rev-parse", "HEAD"]).trim(),
                    git(dir, ["branch", "--list", "promote/*"]),
                    git(dir, ["status", "--porcelain", "--", "stacks"]),
                ],
                ["main", headBefore, "", ""],
            );
        } finally {
            await proxy.close();
        }
    });

    it("a held <file>.lock: exit 1 naming the lock, which is left to its owner", async () => {
        writeDevOutputs(dir, repo, img1.indexDigest, "1.4.1", img1.platformDigests);
        const file = stackPath(dir, "staging");
        const before = read(dir, "staging");
        fs.writeFileSync(`${file}.lock`, "4242\n");
        const out: string[] = [];
        const code = await run(
            ["promote", "--repo-root", dir, "--from", "dev", "--to", "staging"],
            { out: (s) => out.push(s), err: (s) => out.push(s) },
            deps,
        );
        assert.deepStrictEqual(
            [code, out.join("")],
            [
                1,
                `image-release: ${file}.lock exists: another image-release is writing ${file}; refusing to write (delete the lock file if no other run is in progress)\n`,
            ],
        );
        assert.strictEqual(read(dir, "staging"), before);
        assert.strictEqual(fs.readFileSync(`${file}.lock`, "utf8"), "4242\n");
    });

    const cases: { name: string; args: string[]; err: string }[] = [
        {
            name: "to itself",
            args: ["--from", "dev", "--to", "dev"],
            err: `cannot promote stack "dev" to itself`,
        },
        {
            name: "to itself, a stack that takes promotions",
            args: ["--from", "staging", "--to", "staging"],
            err: `cannot promote stack "staging" to itself`,
        },
        {
            name: "into a stack without promoteFrom",
            args: ["--from", "staging", "--to", "dev"],
            err: `stack "dev" takes no promotions (it has no image-release:promoteFrom)`,
        },
    ];
    for (const c of cases) {
        it(`promote ${c.name} is refused with its own message`, async () => {
            writeDevOutputs(dir, repo, img1.indexDigest, "1.4.1", img1.platformDigests);
            const before = ["dev", "staging", "prod"].map((s) => read(dir, s));
            const out: string[] = [];
            const code = await run(
                ["promote", "--repo-root", dir, ...c.args],
                { out: (s) => out.push(s), err: (s) => out.push(s) },
                deps,
            );
            assert.deepStrictEqual(
                [code, out.join(""), ["dev", "staging", "prod"].map((s) => read(dir, s))],
                [1, `image-release: ${c.err}\n`, before],
            );
        });
    }

    it("--from other than the target's promoteFrom is refused, naming both", async () => {
        fs.writeFileSync(
            stackPath(dir, "prod"),
            read(dir, "prod").replace("promoteFrom: staging", "promoteFrom: canary"),
        );
        const prod = read(dir, "prod");
        const out: string[] = [];
        const code = await run(
            ["promote", "--repo-root", dir, "--from", "staging", "--to", "prod"],
            { out: (s) => out.push(s), err: (s) => out.push(s) },
            deps,
        );
        assert.deepStrictEqual(
            [code, out.join("")],
            [
                1,
                `image-release: stack "prod" accepts promotions only from "canary" (image-release:promoteFrom); refusing to promote from "staging"\n`,
            ],
        );
        assert.strictEqual(read(dir, "prod"), prod);
    });

    it("a 401 from prod's registry: a clear error, no file written, nothing copied", async () => {
        const stagingRepo = uniqueRepo(LOCAL, "cross-staging");
        const prodRepo = uniqueRepo(LOCAL_AUTH, "cross-401");
        const img = await pushTestImage(authed, stagingRepo, "cross-b");
        const dir = repoWithProdElsewhere(stagingRepo, prodRepo, `sha256:${"2".repeat(64)}`);
        fs.writeFileSync(
            stackPath(dir, "staging"),
            read(dir, "staging").replace(`sha256:${"2".repeat(64)}`, img.indexDigest),
        );
        commitAll(dir, "staging runs b", 3);
        const before = read(dir, "prod");
        let out = "";
        let err = "";
        const code = await run(
            ["promote", "--from", "staging", "--to", "prod", "--repo-root", dir, "--git"],
            { out: (x) => (out += x), err: (x) => (err += x) },
            { client: anonymous },
        );
        const path401 = prodRepo.slice(LOCAL_AUTH.length + 1);
        assert.deepStrictEqual(
            [code, out, err],
            [
                1,
                "",
                `image-release: cannot copy ${img.indexDigest} from ${stagingRepo} to ${prodRepo}: authentication failed for ${LOCAL_AUTH} (scope "repository:${path401}:pull"): 401 Unauthorized; nothing was written (log in with \`docker login ${LOCAL_AUTH}\` or check the credentials for ${LOCAL_AUTH})\n`,
            ],
        );
        assert.strictEqual(read(dir, "prod"), before);
        assert.strictEqual(await authed.headManifest(prodRepo, img.indexDigest), undefined);
        assert.deepStrictEqual(
            fs.readdirSync(path.join(dir)).filter((f) => f === ".image-release"),
            [],
        );
    });
});
