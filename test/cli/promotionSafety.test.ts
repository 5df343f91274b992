import * as assert from "assert";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { checkRanInSource, promote, RanEvidence, release, rollback } from "../../src/flows";
import { run } from "../../src/cli";
import { ImageDescription, RegistryClient } from "../../src/registry";
import { sha256Text } from "../../src/stackconfig";
import { pushTestImage, TestImage } from "../fixtures/registry/testImage";
import { commitAll, makeRepo, writeDevOutputs, writeStackOutputs } from "../fixtures/cli/repo";

const client = new RegistryClient({
    retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
    timeoutMs: 5000,
});
const deps = { client };

/** The real registry check, plus another writer's edit that lands while it is in flight. */
class RacingClient extends RegistryClient {
    public raced = false;
    constructor(
        private readonly file: string,
        private readonly text: string,
    ) {
        super({ retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 }, timeoutMs: 5000 });
    }
    async verify(ref: string, platforms: string[]): Promise<ImageDescription> {
        const d = await super.verify(ref, platforms);
        fs.writeFileSync(this.file, this.text);
        this.raced = true;
        return d;
    }
}

function stackPath(dir: string, stack: string): string {
    return path.join(dir, "stacks", `Pulumi.${stack}.yaml`);
}

function read(dir: string, stack: string): string {
    return fs.readFileSync(stackPath(dir, stack), "utf8");
}

describe("promotion path rule (pure)", () => {
    const d = `sha256:${"a".repeat(64)}`;
    const other = `sha256:${"b".repeat(64)}`;
    const file = "stacks/Pulumi.staging.yaml";
    const rows: { name: string; ev: RanEvidence; err?: string }[] = [
        { name: "committed at HEAD or before", ev: { committed: [other, d], sourceFile: file } },
        { name: "recorded outputs", ev: { committed: [], recorded: d, sourceFile: file } },
        {
            name: "recorded outputs and uncommitted on disk",
            ev: { committed: [], recorded: d, onDisk: d, sourceFile: file },
        },
        {
            name: "only uncommitted on disk",
            ev: { committed: [other], recorded: other, onDisk: d, sourceFile: file },
            err: `digest ${d} never ran in stack "staging" (not in its committed history or recorded outputs): it is pinned only in the uncommitted ${file}; commit or merge the promotion to "staging" first, then promote it to "prod"`,
        },
        {
            name: "nowhere",
            ev: { committed: [other], onDisk: other, sourceFile: file },
            err: `digest ${d} never ran in stack "staging" (not in its committed history or recorded outputs); refusing to promote it to "prod"`,
        },
    ];
    for (const r of rows) {
        it(r.name, () => {
            if (r.err === undefined) checkRanInSource(d, "staging", "prod", r.ev);
            else assert.throws(() => checkRanInSource(d, "staging", "prod", r.ev), { message: r.err });
        });
    }
});

describe("promotion safety @integration", () => {
    let repo: string;
    let img0: TestImage;
    let img1: TestImage;
    let dir: string;
    let o: { stacksDir: string; repoRoot: string };

    before(async () => {
        repo = `127.0.0.1:5000/test-cli/safety-${randomBytes(4).toString("hex")}`;
        img0 = await pushTestImage(client, repo, "safety-zero");
        img1 = await pushTestImage(client, repo, "safety-one");
    });
    beforeEach(() => {
        dir = makeRepo(repo, img0.indexDigest);
        o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
    });

    it("race: a change landing during registry verification is refused, the other writer's text kept", async () => {
        writeDevOutputs(dir, repo, img1.indexDigest, "1.4.1", img1.platformDigests);
        const file = stackPath(dir, "staging");
        const before = read(dir, "staging");
        const other = before.replace("image-release:namespace: staging", "image-release:namespace: other");
        const racing = new RacingClient(file, other);
        await assert.rejects(promote({ ...o, from: "dev", to: "staging", retag: true }, { client: racing }), {
            message: `${file} changed since it was read (sha256 ${sha256Text(before).slice(0, 12)} -> ${sha256Text(other).slice(0, 12)}); refusing to overwrite another writer's change`,
        });
        assert.strictEqual(racing.raced, true);
        assert.strictEqual(read(dir, "staging"), other);
        assert.strictEqual(await client.headManifest(repo, "staging"), undefined);
        // Neither the temp file nor the lock is left behind.
        assert.deepStrictEqual(fs.readdirSync(path.join(dir, "stacks")).sort(), [
            "Pulumi.dev.yaml",
            "Pulumi.prod.yaml",
            "Pulumi.staging.yaml",
        ]);
    });

    it("race: rollback carries its snapshot through verification too", async () => {
        const file = stackPath(dir, "prod");
        fs.writeFileSync(file, read(dir, "prod").replace(img0.indexDigest, img1.indexDigest));
        commitAll(dir, "Pin one", 2);
        const before = read(dir, "prod");
        const other = before.replace("image-release:namespace: prod", "image-release:namespace: other");
        await assert.rejects(rollback({ ...o, stack: "prod" }, { client: new RacingClient(file, other) }), {
            message: `${file} changed since it was read (sha256 ${sha256Text(before).slice(0, 12)} -> ${sha256Text(other).slice(0, 12)}); refusing to overwrite another writer's change`,
        });
        assert.strictEqual(read(dir, "prod"), other);
    });

    it("a held <file>.lock refuses the write and is left to its owner", async () => {
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
        fs.unlinkSync(`${file}.lock`);
        const ok = await promote({ ...o, from: "dev", to: "staging" }, deps);
        assert.strictEqual(ok.written, true);
        assert.strictEqual(fs.existsSync(`${file}.lock`), false);
    });

    it("prod refuses a staging digest that is only uncommitted, naming it; accepts it once committed", async () => {
        writeDevOutputs(dir, repo, img1.indexDigest, "1.4.1", img1.platformDigests);
        await promote({ ...o, from: "dev", to: "staging" }, deps);
        const prod = read(dir, "prod");
        await assert.rejects(promote({ ...o, from: "staging", to: "prod" }, deps), {
            message: `digest ${img1.indexDigest} never ran in stack "staging" (not in its committed history or recorded outputs): it is pinned only in the uncommitted stacks/Pulumi.staging.yaml; commit or merge the promotion to "staging" first, then promote it to "prod"`,
        });
        assert.strictEqual(read(dir, "prod"), prod);
        commitAll(dir, "Promote 1.4.1 to staging", 2);
        const p = await promote({ ...o, from: "staging", to: "prod" }, deps);
        assert.deepStrictEqual([p.digest, p.written], [img1.indexDigest, true]);
        assert.strictEqual(
            read(dir, "prod"),
            prod
                .replace(img0.indexDigest, img1.indexDigest)
                .replace("1.4.0", "1.4.1")
                .replace("aaaaaaa", "bbbbbbb"),
        );
    });

    it("prod accepts a staging digest the stack's recorded outputs show it ran", async () => {
        fs.writeFileSync(
            stackPath(dir, "staging"),
            read(dir, "staging").replace(img0.indexDigest, img1.indexDigest),
        );
        writeStackOutputs(dir, "staging", {
            repository: repo,
            digest: img1.indexDigest,
            version: "1.4.1",
            platformDigests: img1.platformDigests,
        });
        const p = await promote({ ...o, from: "staging", to: "prod", dryRun: true }, deps);
        assert.deepStrictEqual([p.digest, p.written], [img1.indexDigest, false]);
    });

    it("the rule follows promoteFrom, not a hard-coded dev: an uncommitted dev pin is refused for staging", async () => {
        const devFile = stackPath(dir, "dev");
        fs.writeFileSync(
            devFile,
            read(dir, "dev").replace(
                "    image-release:build:\n        context: examples/hello\n        dockerfile: Dockerfile\n",
                `    image-release:digest: ${img1.indexDigest}\n`,
            ),
        );
        const staging = read(dir, "staging");
        await assert.rejects(promote({ ...o, from: "dev", to: "staging" }, deps), {
            message: `digest ${img1.indexDigest} never ran in stack "dev" (not in its committed history or recorded outputs): it is pinned only in the uncommitted stacks/Pulumi.dev.yaml; commit or merge the promotion to "dev" first, then promote it to "staging"`,
        });
        assert.strictEqual(read(dir, "staging"), staging);
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
});

describe("release --channel", () => {
    for (const channel of ["staging", "prod", "qa"]) {
        it(`refuses "${channel}" before building anything`, async () => {
            const dir = makeRepo("127.0.0.1:5000/test-cli/never-pushed", `sha256:${"0".repeat(64)}`);
            let built = 0;
            const want = `release --channel "${channel}" is not allowed: a release builds into "dev" only; staging and prod get a build through \`image-release promote\` (e.g. \`image-release promote --from dev --to staging\`)`;
            await assert.rejects(
                release(
                    { repoRoot: dir, stacksDir: path.join(dir, "stacks"), channel },
                    {
                        client,
                        publish: () => {
                            built++;
                            return Promise.reject(new Error("must not build"));
                        },
                    },
                ),
                { message: want },
            );
            const out: string[] = [];
            const code = await run(
                ["release", "--repo-root", dir, "--channel", channel],
                { out: (s) => out.push(s), err: (s) => out.push(s) },
                deps,
            );
            assert.deepStrictEqual([code, out.join(""), built], [1, `image-release: ${want}\n`, 0]);
            assert.strictEqual(fs.existsSync(path.join(dir, ".image-release")), false);
        });
    }
});

describe("release --platforms", () => {
    const known =
        "amd64, arm64, arm, 386, ppc64le, ppc64, s390x, riscv64, loong64, mips64le, mips64, mipsle, mips, wasm";
    const rows: { platforms: string; err: string }[] = [
        {
            platforms: "linux/amd64,linux/s390",
            err: `platform "linux/s390" has unknown architecture "s390" (known: ${known})`,
        },
        {
            platforms: "linux/amd64,amd64",
            err: `platform "amd64" is not os/arch[/variant], e.g. linux/amd64`,
        },
        {
            platforms: "linx/amd64",
            err: `platform "linx/amd64" has unknown os "linx" (known: linux, windows, darwin, freebsd, netbsd, openbsd, solaris, illumos, aix)`,
        },
    ];
    for (const r of rows) {
        it(`refuses ${r.platforms} before building anything`, async () => {
            const dir = makeRepo("127.0.0.1:5000/test-cli/never-pushed", `sha256:${"0".repeat(64)}`);
            let built = 0;
            await assert.rejects(
                release(
                    {
                        repoRoot: dir,
                        stacksDir: path.join(dir, "stacks"),
                        version: "1.0.0",
                        platforms: r.platforms.split(","),
                    },
                    {
                        client,
                        publish: () => {
                            built++;
                            return Promise.reject(new Error("must not build"));
                        },
                    },
                ),
                { message: r.err },
            );
            const out: string[] = [];
            const code = await run(
                ["release", "--repo-root", dir, "--version", "1.0.0", "--platforms", r.platforms],
                { out: (s) => out.push(s), err: (s) => out.push(s) },
                deps,
            );
            assert.deepStrictEqual([code, out.join(""), built], [1, `image-release: ${r.err}\n`, 0]);
            assert.strictEqual(fs.existsSync(path.join(dir, ".image-release")), false);
        });
    }
});
