import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { LOCAL, pushTestImage, TestImage, uniqueRepo } from "../fixtures/registry/testImage";
import { assertRejects, Json, ofType, promiseOf, resetRecorded, setMocks, settle } from "../helpers/mocks";
import type { PinnedDeployment as PinnedDeploymentT } from "../../src/components/pinnedDeployment";
import { RegistryClient } from "../../src/registry";

/** A loopback port with nothing listening: bound once to learn a free number, then released. */
async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    return port;
}

function stagingConfig(overrides: Record<string, unknown>): Record<string, string> {
    const doc = YAML.parse(fs.readFileSync("stacks/Pulumi.staging.yaml", "utf8")) as {
        config: Record<string, unknown>;
    };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...doc.config, ...overrides })) {
        out[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}

// Preview = true throughout: the check must run, and stop the Deployment, before anything is applied.
// No registryClient is passed, so the component's own default RegistryClient talks to the registry.
// The runtime prefixes the first property it failed to serialize (the component's registered outputs)
// to the shared error, so that prefix is part of what a user reads.
describe("PinnedDeployment verification during preview, against the local registry @integration", () => {
    const repo = uniqueRepo(LOCAL, "pinned");
    let PinnedDeployment: typeof PinnedDeploymentT;
    let both: TestImage;
    let amd64Only: TestImage;

    before(async () => {
        await setMocks("staging", true);
        ({ PinnedDeployment } = await import("../../src/components/pinnedDeployment"));
        const client = new RegistryClient({});
        both = await pushTestImage(client, repo, "both");
        amd64Only = await pushTestImage(client, repo, "amd64", [["linux", "amd64"]]);
    });
    beforeEach(resetRecorded);

    const args = (repository: string, digest: string) => ({
        repository,
        digest,
        version: "1.4.2",
        gitSha: "0123abc",
        promotedFrom: "dev",
    });

    it("a present digest covering every platform passes; the Deployment and platform digests follow", async () => {
        const c = new PinnedDeployment("ok", args(repo, both.indexDigest));
        assert.strictEqual(await promiseOf(c.image), `${repo}@${both.indexDigest}`);
        assert.deepStrictEqual(await promiseOf(c.platformDigests), both.platformDigests);
        await settle();
        const deps = ofType("kubernetes:apps/v1:Deployment");
        assert.strictEqual(deps.length, 1);
        assert.strictEqual(
            deps[0].inputs.spec.template.spec.containers[0].image,
            `${repo}@${both.indexDigest}`,
        );
    });

    it("a missing digest fails with the registry's not-found message and registers no Deployment", async () => {
        const missing = "sha256:" + "e".repeat(64);
        const c = new PinnedDeployment("missing", args(repo, missing));
        await assertRejects(
            c.image,
            `PinnedDeployment "missing": digest verification failed: digest ${missing} not found in repo ${repo}`,
            ["outputs", "spec"],
        );
        assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
    });

    it("a digest lacking a required platform fails with the missing-platform message and registers no Deployment", async () => {
        const c = new PinnedDeployment("partial", args(repo, amd64Only.indexDigest));
        await assertRejects(
            c.image,
            `PinnedDeployment "partial": digest verification failed: ${repo}@${amd64Only.indexDigest} lacks required platform(s) linux/arm64 (has linux/amd64)`,
            ["outputs", "spec"],
        );
        assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
    });

    it("an unreachable registry fails within seconds, says how to skip the check, and registers nothing", async () => {
        const host = `127.0.0.1:${await closedPort()}`;
        const started = Date.now();
        const c = new PinnedDeployment("offline", args(`${host}/image-release/hello`, both.indexDigest));
        await assertRejects(
            c.image,
            `PinnedDeployment "offline": digest verification failed: registry ${host} unreachable after 3 attempts: ECONNREFUSED` +
                " (set verifyDigest: false, image-release:verifyDigest in the stack file, to preview without a registry)",
            ["outputs", "spec"],
        );
        assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
        assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
    });

    it("verifyDigest: false is the air-gapped opt-out: no registry call, the Deployment is registered", async () => {
        const host = `127.0.0.1:${await closedPort()}`;
        const c = new PinnedDeployment("airgap", {
            ...args(`${host}/image-release/hello`, both.indexDigest),
            verifyDigest: false,
        });
        assert.strictEqual(await promiseOf(c.image), `${host}/image-release/hello@${both.indexDigest}`);
        assert.deepStrictEqual(await promiseOf(c.platformDigests), {});
        await settle();
        assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 1);
    });

    describe("the staging program against the registry", () => {
        let run: () => Promise<Record<string, unknown>>;
        before(async () => {
            run = (await import("../../src/program")).default;
        });

        async function runStaging(overrides: Record<string, unknown>): Promise<Record<string, Json>> {
            await setMocks("staging", true);
            pulumi.runtime.setAllConfig(stagingConfig(overrides));
            const outputs = await run();
            const resolved: Record<string, Json> = {};
            for (const [k, v] of Object.entries(outputs)) resolved[k] = await promiseOf(v);
            await settle();
            return resolved;
        }

        it("exports the registry's platform digests in `release` and pins the verified image", async () => {
            const out = await runStaging({
                "image-release:repository": repo,
                "image-release:digest": both.indexDigest,
            });
            assert.deepStrictEqual(out.release, {
                repository: repo,
                version: "1.4.2",
                digest: both.indexDigest,
                ref: `${repo}@${both.indexDigest}`,
                tags: ["1.4.2", "1.4", "1", "git-0123abc", "staging"],
                platforms: ["linux/amd64", "linux/arm64"],
                platformDigests: both.platformDigests,
                gitSha: "0123abc",
                sourceStack: "dev",
            });
            const [dep] = ofType("kubernetes:apps/v1:Deployment");
            assert.strictEqual(
                dep.inputs.spec.template.spec.containers[0].image,
                `${repo}@${both.indexDigest}`,
            );
        });

        it("checks the pin once, before any resource, and the Deployment takes that answer", async () => {
            const verify = Object.getOwnPropertyDescriptor(RegistryClient.prototype, "verify");
            const asked: string[] = [];
            RegistryClient.prototype.verify = function (
                this: RegistryClient,
                ref: string,
                platforms: string[],
            ) {
                asked.push(ref);
                return (verify?.value as RegistryClient["verify"]).call(this, ref, platforms);
            };
            try {
                const out = await runStaging({
                    "image-release:repository": repo,
                    "image-release:digest": both.indexDigest,
                });
                assert.deepStrictEqual(out.platformDigests, both.platformDigests);
            } finally {
                Object.defineProperty(RegistryClient.prototype, "verify", verify as PropertyDescriptor);
            }
            assert.deepStrictEqual(asked, [`${repo}@${both.indexDigest}`]);
        });

        it("a pin that lacks a platform stops the stack: no Deployment and no channel tag", async () => {
            await setMocks("staging", true);
            pulumi.runtime.setAllConfig(
                stagingConfig({
                    "image-release:repository": repo,
                    "image-release:digest": amd64Only.indexDigest,
                }),
            );
            // The program checks the pin before its first resource and stops with the check's message alone
            // (a RunError: no stack trace, no per-property serialization prefixes).
            await assert.rejects(
                () => run(),
                (e: unknown) =>
                    e instanceof pulumi.RunError &&
                    e.message ===
                        `stacks/Pulumi.staging.yaml: image-release:digest: digest verification failed: ${repo}@${amd64Only.indexDigest} lacks required platform(s) linux/arm64 (has linux/amd64)`,
            );
            await settle();
            assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
            assert.strictEqual(ofType("pulumi-nodejs:dynamic:Resource").length, 0);
        });
    });
});
