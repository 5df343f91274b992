import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { publishImage, PublishResult } from "../../src/builder";
import { ReleaseRecord } from "../../src/release";
import { RegistryClient } from "../../src/registry";
import { UnreachableEngine } from "../fixtures/builder/engines";
import { uniqueRepo } from "../fixtures/registry/testImage";
import { engineEnv, projectCopy, REGISTRY, registryTags, ROOT, run, timings, uniqueRun } from "./harness";

/** The buildkitd scripts/cluster-up.sh runs: the stand-in for a remote arm64 builder. */
const BUILDKIT = `tcp://127.0.0.1:${12340 + Number(process.env.IMAGE_RELEASE_PORT_OFFSET ?? 0)}`;
const SCRATCH = path.join(ROOT, "test", "fixtures", "builder", "scratch");

/**
 * Issue 20 item 3: a platform built on a BuildKit daemon (buildkitd v0.34.2 from scripts/toolchain.sh)
 * gets the very digest the local engine (Docker 20.10's built-in BuildKit) gives it, because both
 * exports go through the same normaliser. Both builders share this 2-core machine: this proves the
 * path, not a speed-up. It lives in the e2e because `npm test` runs before the toolchain is built.
 */
describe("e2e: remote BuildKit builders give the local engine's digests", function () {
    this.timeout(600_000);
    const client = new RegistryClient({ dockerConfigPath: "/nonexistent/config.json" });
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-bk-"));

    before(async () => {
        const workers = await run("buildctl", ["--addr", BUILDKIT, "debug", "workers"], ROOT);
        assert.strictEqual(
            workers.code,
            0,
            `no buildkitd at ${BUILDKIT} (scripts/cluster-up.sh starts it): ${workers.stderr}`,
        );
    });
    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: `remote builder: ${t.title}`, seconds: (t.duration ?? 0) / 1000 });
    });
    after(() => fs.rmSync(stateDir, { recursive: true, force: true }));

    it("FROM scratch with files, ENV, LABEL, WORKDIR and USER: amd64 and arm64 from buildkitd equal the local engine's", async () => {
        const base = {
            context: SCRATCH,
            platforms: ["linux/amd64", "linux/arm64"],
            version: "1.2.3",
            gitSha: "0123abc",
            sourceDateEpoch: 1700000000,
            tags: ["1.2.3"],
            client,
            cache: false as const,
        };
        const local: PublishResult = await publishImage({
            ...base,
            repository: uniqueRepo(REGISTRY, "bk-local"),
        });
        const remote = await publishImage({
            ...base,
            repository: uniqueRepo(REGISTRY, "bk-remote"),
            builders: { "linux/amd64": BUILDKIT, "linux/arm64": BUILDKIT },
            // Every platform has a builder: the local engine must not be asked for any.
            engine: new UnreachableEngine(),
        });
        assert.deepStrictEqual(remote.platformDigests, local.platformDigests);
        assert.strictEqual(remote.digest, local.digest);
        assert.strictEqual(remote.built && local.built, true);
    });

    it("a dev release: the stack's image-release:builders builds linux/arm64 on buildkitd, with the local release's digests", async () => {
        const r = uniqueRun();
        const dir = projectCopy(r);
        const cli = (args: string[]) =>
            run("node", [path.join(dir, "bin", "image-release.js"), ...args], dir, engineEnv(stateDir));
        const release = async (repository: string): Promise<{ record: ReleaseRecord; log: string }> => {
            const out = await cli(["release", "--repository", repository, "--json"]);
            assert.strictEqual(out.code, 0, out.stderr);
            return { record: (JSON.parse(out.stdout) as { record: ReleaseRecord }).record, log: out.stderr };
        };
        const local = await release(`${r.repository}-local`);
        assert.match(local.log, /building linux\/amd64, linux\/arm64 from /);

        const devStack = path.join(dir, "stacks", "Pulumi.dev.yaml");
        fs.appendFileSync(devStack, `  image-release:builders:\n    linux/arm64: ${BUILDKIT}\n`);
        const remote = await release(`${r.repository}-remote`);
        assert.match(
            remote.log,
            new RegExp(`building linux/amd64, linux/arm64 \\(on BuildKit at ${BUILDKIT}\\) from `),
        );
        assert.deepStrictEqual(remote.record.platformDigests, local.record.platformDigests);
        assert.strictEqual(remote.record.digest, local.record.digest);

        // A --builder flag overrides the stack's builder; one that does not answer refuses the release
        // before anything is pushed (a new version, so nothing is reused).
        const dead = "tcp://127.0.0.1:1";
        const repository = `${r.repository}-refused`;
        const refused = await cli([
            "release",
            "--repository",
            repository,
            "--version",
            "9.9.9",
            "--builder",
            `linux/arm64=${dead}`,
        ]);
        assert.strictEqual(refused.code, 1, refused.stderr);
        assert.ok(
            refused.stderr.endsWith(
                `image-release: the builder for linux/arm64 at ${dead} does not answer (ECONNREFUSED); nothing was built or pushed\n`,
            ),
            refused.stderr,
        );
        assert.deepStrictEqual(await registryTags(repository), {});
        fs.rmSync(dir, { recursive: true, force: true });
    });
});
