import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promote, pulumiStackOutput, readSourceRecord, Refusal, StackOutputFn } from "../../src/flows";
import { ReleaseRecord } from "../../src/release";
import { pushTestImage, TestImage } from "../fixtures/registry/testImage";
import { makeRepo, readStack, writeDevOutputs, writeStackOutputs } from "../fixtures/cli/repo";
import { cliRepo as uniqueRepo, testClient } from "../fixtures/cli/scenarios";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const REPO = "127.0.0.1:5000/team/app";

function record(digest: string, version: string, o: Partial<ReleaseRecord> = {}): ReleaseRecord {
    return {
        repository: REPO,
        version,
        digest,
        ref: `${REPO}@${digest}`,
        tags: [version],
        platforms: ["linux/amd64"],
        platformDigests: { "linux/amd64": D("c") },
        gitSha: "bbbbbbb",
        sourceStack: "dev",
        ...o,
    };
}

/**
 * A stand-in `pulumi` on PATH: it records its arguments and working directory, then prints what the
 * real CLI (v3.248.0) prints in each case and exits with its code.
 */
function fakePulumi(stdout: string, stderr: string, code: number): { bin: string; calls: string } {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-fake-pulumi-"));
    const calls = path.join(bin, "calls");
    fs.writeFileSync(path.join(bin, "stdout"), stdout);
    fs.writeFileSync(path.join(bin, "stderr"), stderr);
    const script = [
        "#!/bin/sh",
        `printf '%s|%s\\n' "$PWD" "$*" >> '${calls}'`,
        `cat '${bin}/stdout'`,
        `cat '${bin}/stderr' >&2`,
        `exit ${code}`,
        "",
    ].join("\n");
    fs.writeFileSync(path.join(bin, "pulumi"), script, { mode: 0o755 });
    return { bin, calls };
}

describe("pulumiStackOutput: the Pulumi CLI reads a stack's release output", () => {
    const savedPath = process.env.PATH;
    let repoRoot = "";
    before(() => {
        repoRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "image-release-outputs-")));
    });
    afterEach(() => {
        process.env.PATH = savedPath;
    });

    it("runs `pulumi stack output release --json --stack <stack>` in the repo root and returns its JSON", async () => {
        const json = JSON.stringify(record(D("a"), "1.4.1"));
        const fake = fakePulumi(json, "", 0);
        process.env.PATH = `${fake.bin}:${savedPath}`;
        assert.deepStrictEqual(await pulumiStackOutput(repoRoot, "dev"), { value: JSON.parse(json) });
        assert.strictEqual(
            fs.readFileSync(fake.calls, "utf8"),
            `${repoRoot}|stack output release --json --stack dev --non-interactive\n`,
        );
    });

    it("no pulumi on PATH: nothing to read (the outputs file is the record)", async () => {
        process.env.PATH = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-empty-path-"));
        assert.strictEqual(await pulumiStackOutput(repoRoot, "dev"), undefined);
    });

    const noOutput = [
        {
            why: "no backend login",
            stderr: "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n",
            code: 3,
        },
        { why: "no such stack", stderr: "error: no stack named 'dev' found\n", code: 6 },
        {
            why: "a file backend whose directory is gone (a stale `pulumi login file://…`)",
            stderr: "error: unable to open bucket file:///tmp/gone/state?no_tmp_dir=true: stat /tmp/gone/state: no such file or directory\n",
            code: 255,
        },
        {
            why: "no project here",
            stderr: "error: no Pulumi.yaml project file found (searching upwards from /x)\n",
            code: 1,
        },
        {
            why: "a stack that never exported release",
            stderr: "error: current stack does not have output property 'release'\n",
            code: 1,
        },
    ];
    for (const c of noOutput) {
        it(`${c.why}: nothing to read (falls back)`, async () => {
            process.env.PATH = `${fakePulumi("", c.stderr, c.code).bin}:${savedPath}`;
            assert.strictEqual(await pulumiStackOutput(repoRoot, "dev"), undefined);
        });
    }

    it("any other failure refuses with the CLI's error line, naming the stack and the command", async () => {
        const stderr =
            'warning: A new version of Pulumi is available\nerror: failed to load checkpoint: blob (key ".pulumi/stacks/dev.json") (code=Unknown): permission denied\n';
        process.env.PATH = `${fakePulumi("", stderr, 255).bin}:${savedPath}`;
        await assert.rejects(pulumiStackOutput(repoRoot, "dev"), {
            name: "Refusal",
            message:
                'stack "dev": `pulumi stack output release --json --stack dev` failed: error: failed to load checkpoint: blob (key ".pulumi/stacks/dev.json") (code=Unknown): permission denied',
        });
    });

    it("output past 16 MiB refuses, saying so (not as a timeout); `releases` is read the same way", async () => {
        const huge = "x".repeat(16 * 1024 * 1024 + 1);
        const fake = fakePulumi(huge, "", 0);
        process.env.PATH = `${fake.bin}:${savedPath}`;
        await assert.rejects(pulumiStackOutput(repoRoot, "dev", "releases"), {
            name: "Refusal",
            message:
                'stack "dev": `pulumi stack output releases --json --stack dev` failed: printed more than 16 MiB',
        });
        assert.strictEqual(
            fs.readFileSync(fake.calls, "utf8"),
            `${repoRoot}|stack output releases --json --stack dev --non-interactive\n`,
        );
    });

    it("output that is not JSON refuses", async () => {
        process.env.PATH = `${fakePulumi("[secret]", "", 0).bin}:${savedPath}`;
        await assert.rejects(pulumiStackOutput(repoRoot, "dev"), {
            name: "Refusal",
            message:
                'stack "dev": `pulumi stack output release --json --stack dev` printed no JSON (got "[secret]")',
        });
    });
});

describe("readSourceRecord: the stack output, else the outputs file", () => {
    let dir = "";
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-record-"));
    });
    const fromStack =
        (value: unknown): StackOutputFn =>
        () =>
            Promise.resolve({ value });
    const none: StackOutputFn = () => Promise.resolve(undefined);

    it("prefers the stack output over an older outputs file", async () => {
        writeStackOutputs(dir, "dev", {
            repository: REPO,
            digest: D("e"),
            version: "1.0.0",
            platformDigests: {},
        });
        const got = await readSourceRecord(dir, "dev", fromStack(record(D("a"), "1.4.1")));
        assert.deepStrictEqual(got, { record: record(D("a"), "1.4.1"), from: "stack output" });
    });

    it("falls back to .image-release/outputs/<stack>.json, and to nothing without one", async () => {
        assert.strictEqual(await readSourceRecord(dir, "dev", none), undefined);
        writeDevOutputs(dir, REPO, D("a"), "1.4.1", { "linux/amd64": D("c") });
        const got = await readSourceRecord(dir, "dev", none);
        assert.deepStrictEqual([got?.from, got?.record.digest], ["outputs file", D("a")]);
    });

    it("refuses a stack output that is not a release record, naming the stack, even with a file there", async () => {
        writeDevOutputs(dir, REPO, D("a"), "1.4.1", { "linux/amd64": D("c") });
        await assert.rejects(readSourceRecord(dir, "dev", fromStack("[secret]")), (e: unknown) => {
            assert.ok(e instanceof Refusal);
            assert.strictEqual(
                e.message,
                'stack "dev" output release: release record must be a JSON object (got [secret])',
            );
            return true;
        });
        await assert.rejects(
            readSourceRecord(dir, "dev", fromStack({ ...record(D("a"), "1.4.1"), digest: "sha256:abc" })),
            {
                name: "Refusal",
                message: /^stack "dev" output release: /,
            },
        );
    });
});

describe("promote reads the source's stack output itself @integration", () => {
    const client = testClient();
    let repo: string;
    let img0: TestImage;
    let img1: TestImage;
    before(async () => {
        repo = uniqueRepo();
        img0 = await pushTestImage(client, repo, "outputs-zero");
        img1 = await pushTestImage(client, repo, "outputs-one");
    });
    const released = (img: TestImage): ReleaseRecord => ({
        repository: repo,
        version: "1.4.1",
        digest: img.indexDigest,
        ref: `${repo}@${img.indexDigest}`,
        tags: ["1.4.1"],
        platforms: Object.keys(img.platformDigests),
        platformDigests: img.platformDigests,
        gitSha: "bbbbbbb",
        sourceStack: "dev",
    });

    it("with no outputs file: promotes the stack output's digest and says so in the PR", async () => {
        const dir = makeRepo(repo, img0.indexDigest);
        const asked: string[] = [];
        const stackOutputs: StackOutputFn = (root, stack) => {
            asked.push(`${root}|${stack}`);
            return Promise.resolve({ value: released(img1) });
        };
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        const r = await promote({ ...o, from: "dev", to: "staging", git: true }, { client, stackOutputs });
        assert.deepStrictEqual(asked, [`${dir}|dev`]);
        assert.strictEqual(r.digest, img1.indexDigest);
        assert.ok(
            r.pr?.body.includes(
                "\n- `dev` exported it as its `release` stack output (`pulumi stack output release --json --stack dev`: version 1.4.1, built in `dev`)\n",
            ),
            r.pr?.body,
        );
    });

    it("with no stack output: the outputs file, with today's evidence line", async () => {
        const dir = makeRepo(repo, img0.indexDigest);
        writeDevOutputs(dir, repo, img1.indexDigest, "1.4.1", img1.platformDigests);
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        const stackOutputs: StackOutputFn = () => Promise.resolve(undefined);
        const r = await promote({ ...o, from: "dev", to: "staging", git: true }, { client, stackOutputs });
        assert.strictEqual(r.digest, img1.indexDigest);
        assert.ok(
            r.pr?.body.includes(
                "\n- `dev` exported it as its `release` stack output (.image-release/outputs/dev.json: version 1.4.1, built in `dev`)\n",
            ),
            r.pr?.body,
        );
    });

    it("a malformed stack output refuses and writes nothing", async () => {
        const dir = makeRepo(repo, img0.indexDigest);
        writeDevOutputs(dir, repo, img1.indexDigest, "1.4.1", img1.platformDigests);
        const before = readStack(dir, "staging");
        const o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        const stackOutputs: StackOutputFn = () => Promise.resolve({ value: [] });
        await assert.rejects(promote({ ...o, from: "dev", to: "staging" }, { client, stackOutputs }), {
            name: "Refusal",
            message: 'stack "dev" output release: release record must be a JSON object (got [])',
        });
        assert.strictEqual(readStack(dir, "staging"), before);
    });
});
