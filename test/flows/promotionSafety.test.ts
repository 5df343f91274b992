import * as assert from "assert";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { checkRanInSource, promote, RanEvidence, rollback } from "../../src/flows";
import { ImageDescription, RegistryClient } from "../../src/registry";
import { sha256Text } from "../../src/stackconfig";
import { pushTestImage, TestImage } from "../fixtures/registry/testImage";
import {
    commitAll,
    makeRepo,
    readStack as read,
    stackPath,
    writeDevOutputs,
    writeStackOutputs,
} from "../fixtures/cli/repo";

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
        await assert.rejects(promote({ ...o, from: "dev", to: "staging" }, deps), {
            message: `${file}.lock exists: another image-release is writing ${file}; refusing to write (delete the lock file if no other run is in progress)`,
        });
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
});
