import * as assert from "assert";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { verify } from "../../src/flows";
import { RegistryClient } from "../../src/registry";
import { pushTestImage, TestImage } from "../fixtures/registry/testImage";
import { breakForVerify, notesRepo } from "../fixtures/cli/notes";
import { makeRepo, writeStackOutputs } from "../fixtures/cli/repo";

const client = new RegistryClient({
    retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
    timeoutMs: 5000,
});

function record(dir: string, stack: string, repo: string, img: TestImage, version: string, gitSha: string) {
    writeStackOutputs(dir, stack, {
        repository: repo,
        digest: img.indexDigest,
        version,
        platformDigests: img.platformDigests,
        gitSha,
    });
}

const GHOST = `sha256:${"9".repeat(64)}`;

interface Ctx {
    repo: string;
    a: TestImage;
    b: TestImage;
    dir: string;
}

/** The test images carry org.opencontainers.image.revision 0123abc, so their git tag is git-0123abc. */
const rows: {
    name: string;
    setup: (c: Ctx) => Promise<void>;
    findings: (c: Ctx) => string[];
}[] = [
    {
        name: "whole tag set agrees, git tag from the revision label",
        setup: async (c) => {
            await client.applyTags(c.repo, c.a.indexDigest, ["1.4.2", "1.4", "1", "git-0123abc"]);
        },
        findings: () => [],
    },
    {
        name: "git-<sha7> missing",
        setup: async (c) => {
            await client.applyTags(c.repo, c.a.indexDigest, ["1.4.2", "1.4", "1"]);
        },
        findings: (c) => [
            `${c.repo}: tag git-0123abc missing (expected ${c.a.indexDigest}, the digest of 1.4.2)`,
        ],
    },
    {
        name: "git-<sha7> points at another digest",
        setup: async (c) => {
            await client.applyTags(c.repo, c.a.indexDigest, ["1.4.2", "1.4", "1"]);
            await client.retag(c.repo, c.b.indexDigest, "git-0123abc");
        },
        findings: (c) => [
            `${c.repo}: tag git-0123abc points at ${c.b.indexDigest}, but 1.4.2 is ${c.a.indexDigest}`,
        ],
    },
    {
        name: "git sha from the release record wins over the label",
        setup: async (c) => {
            record(c.dir, "dev", c.repo, c.a, "1.4.2", "bbbbbbbcccc");
            await client.applyTags(c.repo, c.a.indexDigest, ["1.4.2", "1.4", "1", "git-0123abc"]);
        },
        findings: (c) => [
            `${c.repo}: tag git-bbbbbbb missing (expected ${c.a.indexDigest}, the digest of 1.4.2)`,
        ],
    },
    {
        name: "X.Y and X belong to the highest release only; each version's own git tag is checked",
        setup: async (c) => {
            record(c.dir, "dev", c.repo, c.b, "1.4.1", "fedcba9");
            await client.applyTags(c.repo, c.b.indexDigest, ["1.4.1", "git-fedcba9"]);
            await client.applyTags(c.repo, c.a.indexDigest, ["1.4.2", "1.4", "1", "git-0123abc"]);
        },
        findings: () => [],
    },
    {
        name: "X.Y left on an older release",
        setup: async (c) => {
            await client.applyTags(c.repo, c.b.indexDigest, ["1.4.1", "1.4", "1", "git-0123abc"]);
            await client.applyTags(c.repo, c.a.indexDigest, ["1.5.0"]);
        },
        findings: (c) => [
            `${c.repo}: tag 1.5 missing (expected ${c.a.indexDigest}, the digest of 1.5.0)`,
            `${c.repo}: tag 1 points at ${c.b.indexDigest}, but 1.5.0 is ${c.a.indexDigest}`,
            `${c.repo}: tag git-0123abc points at ${c.b.indexDigest}, but 1.5.0 is ${c.a.indexDigest}`,
        ],
    },
    {
        name: "0.x: no bare 0 is expected",
        setup: async (c) => {
            await client.applyTags(c.repo, c.a.indexDigest, ["0.3.0", "0.3", "git-0123abc"]);
        },
        findings: () => [],
    },
    {
        name: "pins are required of PINNED_STACKS, not of every stack with promoteFrom",
        setup: async (c) => {
            fs.writeFileSync(
                path.join(c.dir, "stacks", "Pulumi.qa.yaml"),
                `config:\n    image-release:repository: ${c.repo}\n    image-release:promoteFrom: dev\n    image-release:build:\n        context: examples/hello\n`,
            );
        },
        findings: () => [],
    },
    {
        name: "a pinned digest the registry does not have: one finding per stack",
        setup: async (c) => {
            await client.applyTags(c.repo, c.a.indexDigest, ["1.4.2", "1.4", "1", "git-0123abc"]);
            // staging pins b, which is then deleted (as a GC would); prod pins a digest never pushed.
            const staging = path.join(c.dir, "stacks", "Pulumi.staging.yaml");
            fs.writeFileSync(
                staging,
                fs.readFileSync(staging, "utf8").replace(c.a.indexDigest, c.b.indexDigest),
            );
            await client.deleteManifest(c.repo, c.b.indexDigest, { confirm: true });
            const prod = path.join(c.dir, "stacks", "Pulumi.prod.yaml");
            fs.writeFileSync(prod, fs.readFileSync(prod, "utf8").replace(c.a.indexDigest, GHOST));
        },
        findings: (c) => [
            `stack prod pins ${GHOST}, which is not in ${c.repo}`,
            `stack staging pins ${c.b.indexDigest}, which is not in ${c.repo}`,
        ],
    },
];

describe("verify @integration", () => {
    for (const r of rows) {
        it(r.name, async () => {
            const repo = `127.0.0.1:5000/test-cli/verify-${randomBytes(4).toString("hex")}`;
            const a = await pushTestImage(client, repo, "verify-a");
            const b = await pushTestImage(client, repo, "verify-b");
            const c = { repo, a, b, dir: makeRepo(repo, a.indexDigest) };
            await r.setup(c);
            const findings = r.findings(c);
            assert.deepStrictEqual(
                await verify({ stacksDir: path.join(c.dir, "stacks"), repoRoot: c.dir }, { client }),
                { ok: findings.length === 0, findings, signatures: [] },
            );
        });
    }
});

describe("verify --version", () => {
    for (const v of ["nope", "1.4", "=1.4.2", " 1.4.2"]) {
        it(`refuses ${JSON.stringify(v)} before asking the registry`, async () => {
            const dir = makeRepo("127.0.0.1:5000/test-cli/verify-never-pushed", GHOST);
            const want = `--version "${v}" is not a semver version (X.Y.Z, e.g. 1.4.2)`;
            await assert.rejects(
                verify({ stacksDir: path.join(dir, "stacks"), repoRoot: dir, version: v }, { client }),
                { message: want },
            );
        });
    }
});

describe("verify: clean, then every finding at once @integration", () => {
    it("verify: clean, then every finding listed", async () => {
        const c = await notesRepo(client);
        const o = { stacksDir: path.join(c.dir, "stacks"), repoRoot: c.dir };
        assert.deepStrictEqual(await verify(o, { client }), { ok: true, findings: [], signatures: [] });
        const findings = await breakForVerify(client, c);
        assert.deepStrictEqual(await verify(o, { client }), { ok: false, findings, signatures: [] });
    });
});
