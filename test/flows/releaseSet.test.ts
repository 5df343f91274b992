import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PublishOptions } from "../../src/builder";
import { promote, readSetOutputs, releaseSet, UsageRefusal } from "../../src/flows";
import { RegistryClient } from "../../src/registry";
import { fakePublish } from "../fixtures/cli/fakePublish";
import { git } from "../fixtures/cli/repo";
import { LOCAL, uniqueRepo } from "../fixtures/registry/testImage";

const client = new RegistryClient({
    retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
    timeoutMs: 5000,
});

describe("release --stack: a set's images, each whose context changed @integration", function () {
    this.timeout(120_000);
    const repo = uniqueRepo(LOCAL, "release-set");
    let dir = "";
    /** Which repositories (and versions) the fake engine was asked to build, in order. */
    const asked: string[] = [];
    const seeds = new Map<string, ReturnType<typeof fakePublish>>();
    const publish = (p: PublishOptions) => {
        const key = `${p.repository}:${p.tags[0]}`;
        asked.push(key);
        if (!seeds.has(key)) seeds.set(key, fakePublish(key, 1024));
        return (seeds.get(key) as ReturnType<typeof fakePublish>).publish(p);
    };
    const o = () => ({ repoRoot: dir, stacksDir: path.join(dir, "stacks"), stack: "dev" });
    const commit = (message: string) => {
        git(dir, ["add", "-A"]);
        git(dir, ["commit", "-q", "-m", message]);
    };

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-set-release-"));
        git(dir, ["init", "-q", "-b", "main"]);
        git(dir, ["config", "user.name", "Release Bot"]);
        git(dir, ["config", "user.email", "bot@example.com"]);
        fs.mkdirSync(path.join(dir, "stacks"));
        const member = (name: string) => [
            `    ${name}:`,
            `      repository: ${repo}/${name}`,
            "      build:",
            `        context: ${name}`,
        ];
        const dev = [
            "config:",
            "  image-release:channel: dev",
            "  image-release:images:",
            ...member("api"),
            ...member("worker"),
            "",
        ];
        fs.writeFileSync(path.join(dir, "stacks", "Pulumi.dev.yaml"), dev.join("\n"));
        const staging = [
            "config:",
            "  image-release:channel: staging",
            "  image-release:promoteFrom: dev",
            '  image-release:verifyDigest: "false"',
            "  image-release:images:",
            ...["api", "worker"].flatMap((n) => [
                `    ${n}:`,
                `      repository: ${repo}/${n}`,
                `      digest: sha256:${"0".repeat(64)}`,
                "      version: 0.9.0",
                "      gitSha: 0123abc",
            ]),
            "",
        ];
        fs.writeFileSync(path.join(dir, "stacks", "Pulumi.staging.yaml"), staging.join("\n"));
        fs.writeFileSync(path.join(dir, "version.json"), '{ "version": "1.0.0" }\n');
        for (const n of ["api", "worker"]) {
            fs.mkdirSync(path.join(dir, n));
            fs.writeFileSync(path.join(dir, n, "Dockerfile"), `FROM scratch\nLABEL app=${n}\n`);
        }
        commit("a set of two");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("releases every image the first time, and records each", async () => {
        const r = await releaseSet(o(), { client, publish });
        assert.deepStrictEqual(asked.splice(0), [`${repo}/api:1.0.0`, `${repo}/worker:1.0.0`]);
        assert.deepStrictEqual(
            r.images.map((i) => [i.name, i.released]),
            [
                ["api", true],
                ["worker", true],
            ],
        );
        assert.strictEqual(r.outputsFile, ".image-release/outputs/dev.releases.json");
        const recorded = readSetOutputs(dir, "dev");
        assert.deepStrictEqual(Object.keys(recorded ?? {}), ["api", "worker"]);
        assert.strictEqual(recorded?.api.digest, r.images[0].record?.digest);
    });

    it("builds nothing when no context changed; then only the image whose context did", async () => {
        const same = await releaseSet(o(), { client, publish });
        assert.deepStrictEqual(asked.splice(0), []);
        const sha = git(dir, ["log", "-1", "--format=%h", "--abbrev=7", "--", "api"]).trim();
        assert.deepStrictEqual(
            same.images.map((i) => [i.name, i.unchanged]),
            [
                ["api", `context unchanged since ${sha}`],
                ["worker", `context unchanged since ${sha}`],
            ],
        );
        fs.writeFileSync(path.join(dir, "api", "version.json"), '{ "version": "1.1.0" }\n');
        commit("api 1.1.0");
        const before = readSetOutputs(dir, "dev");
        const r = await releaseSet(o(), { client, publish });
        assert.deepStrictEqual(asked.splice(0), [`${repo}/api:1.1.0`]);
        const after = readSetOutputs(dir, "dev");
        assert.notStrictEqual(after?.api.digest, before?.api.digest);
        assert.deepStrictEqual(after?.worker, before?.worker);
        assert.deepStrictEqual(
            r.images.map((i) => [i.name, i.released]),
            [
                ["api", true],
                ["worker", false],
            ],
        );
    });

    it("judges content: a reverted change builds nothing; a record whose commit this clone lacks builds again", async () => {
        const recordedSha = readSetOutputs(dir, "dev")?.worker.gitSha;
        const dockerfile = path.join(dir, "worker", "Dockerfile");
        const original = fs.readFileSync(dockerfile, "utf8");
        fs.writeFileSync(dockerfile, `${original}LABEL tried=1\n`);
        commit("worker: try a label");
        fs.writeFileSync(dockerfile, original);
        commit("worker: revert the label");
        const reverted = await releaseSet(o(), { client, publish });
        assert.deepStrictEqual(asked.splice(0), []);
        assert.deepStrictEqual(
            reverted.images.map((i) => [i.name, i.unchanged]),
            [
                ["api", `context unchanged since ${readSetOutputs(dir, "dev")?.api.gitSha.slice(0, 7)}`],
                ["worker", `context unchanged since ${recordedSha?.slice(0, 7)}`],
            ],
        );
        const file = path.join(dir, ".image-release", "outputs", "dev.releases.json");
        const records = JSON.parse(fs.readFileSync(file, "utf8"));
        records.worker.gitSha = "f".repeat(40);
        fs.writeFileSync(file, JSON.stringify(records));
        const r = await releaseSet(o(), { client, publish });
        assert.deepStrictEqual(asked.splice(0), [`${repo}/worker:1.0.0`]);
        assert.deepStrictEqual(
            r.images.map((i) => [i.name, i.released]),
            [
                ["api", false],
                ["worker", true],
            ],
        );
        const head = git(dir, ["log", "-1", "--format=%H", "--", "worker"]).trim();
        assert.strictEqual(readSetOutputs(dir, "dev")?.worker.gitSha, head);
    });

    it("--image releases that one, changed or not; promote takes the recorded set as one unit", async () => {
        await releaseSet({ ...o(), image: "worker" }, { client, publish });
        assert.deepStrictEqual(asked.splice(0), [`${repo}/worker:1.0.0`]);
        const recorded = readSetOutputs(dir, "dev");
        const p = await promote(
            { repoRoot: dir, stacksDir: path.join(dir, "stacks"), from: "dev", to: "staging" },
            { client, stackOutputs: async () => undefined },
        );
        assert.deepStrictEqual(
            (p.images ?? []).map((i) => [i.name, i.digest, i.version]),
            [
                ["api", recorded?.api.digest, "1.1.0"],
                ["worker", recorded?.worker.digest, "1.0.0"],
            ],
        );
    });

    const refusals = [
        {
            name: "an image the stack does not build",
            image: "web",
            message: '--image "web": not an image that stack "dev" builds (it builds: api, worker)',
        },
    ];
    for (const c of refusals) {
        it(`refuses ${c.name}, building nothing`, async () => {
            await assert.rejects(releaseSet({ ...o(), image: c.image }, { client, publish }), (e: Error) => {
                assert.ok(e instanceof UsageRefusal);
                assert.strictEqual(e.message, c.message);
                return true;
            });
            assert.deepStrictEqual(asked.splice(0), []);
        });
    }
});
