import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { BuildError, buildctlArgs, publishImage, workerPlatforms } from "../../src/builder";
import { RegistryClient } from "../../src/registry";
import { UnreachableEngine } from "../fixtures/builder/engines";
import { uniqueRepo } from "../fixtures/registry/testImage";

const ROOT = path.resolve(__dirname, "..", "..");
const HELLO = path.join(ROOT, "examples", "hello");

/** A 127.0.0.1 port that nothing listens on: bound by us, then closed. */
async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

describe("remote builders: what buildctl is asked, and a builder that does not answer", () => {
    it("asks buildctl for the Dockerfile frontend build of one platform, exported as an OCI tarball on stdout", () =>
        assert.deepStrictEqual(
            buildctlArgs("tcp://127.0.0.1:12340", {
                context: "/src/app",
                dockerfile: "docker/Dockerfile.prod",
                platform: "linux/arm64",
                buildArgs: { VERSION: "1.2.3", GIT_SHA: "0123abc", SOURCE_DATE_EPOCH: "1700000000" },
            }),
            [
                "--addr",
                "tcp://127.0.0.1:12340",
                "build",
                "--progress",
                "plain",
                "--frontend",
                "dockerfile.v0",
                "--local",
                "context=/src/app",
                "--local",
                "dockerfile=/src/app/docker",
                "--opt",
                "filename=Dockerfile.prod",
                "--opt",
                "platform=linux/arm64",
                "--opt",
                "build-arg:GIT_SHA=0123abc",
                "--opt",
                "build-arg:SOURCE_DATE_EPOCH=1700000000",
                "--opt",
                "build-arg:VERSION=1.2.3",
                "--output",
                "type=oci,dest=-",
            ],
        ));

    it("reads the platforms of `buildctl debug workers`", () =>
        assert.deepStrictEqual(
            workerPlatforms(
                "ID                              PLATFORMS\n" +
                    "q1w2e3r4t5y6u7i8o9p0           linux/amd64,linux/amd64/v2,linux/arm64,linux/386\n",
            ),
            ["linux/amd64", "linux/amd64/v2", "linux/arm64", "linux/386"],
        ));
});

describe("publishImage with a builder that does not answer @integration", function () {
    this.timeout(60_000);
    const client = new RegistryClient({ dockerConfigPath: "/nonexistent/config.json" });
    const base = {
        context: HELLO,
        platforms: ["linux/amd64", "linux/arm64"],
        version: "1.2.3",
        gitSha: "0123abc",
        sourceDateEpoch: 1700000000,
        tags: ["1.2.3", "git-0123abc"],
        client,
        cache: false as const,
        // Proves the refusal comes before any build: this engine throws if it is asked for one.
        engine: new UnreachableEngine(),
    };

    const rows: { name: string; address: () => Promise<string>; why: string }[] = [
        {
            name: "a tcp port nothing listens on",
            address: async () => `tcp://127.0.0.1:${await closedPort()}`,
            why: "ECONNREFUSED",
        },
        {
            name: "a unix socket that does not exist",
            address: async () =>
                `unix://${path.join(fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bk-")), "buildkitd.sock")}`,
            why: "ENOENT",
        },
    ];
    for (const r of rows) {
        it(`refuses before anything is built or pushed: ${r.name}`, async () => {
            const address = await r.address();
            const repository = uniqueRepo("127.0.0.1:5000", "remote-builder");
            await assert.rejects(
                publishImage({ ...base, repository, builders: { "linux/arm64": address } }),
                (e: unknown) => {
                    assert.ok(e instanceof BuildError, String(e));
                    assert.strictEqual(
                        e.message,
                        `the builder for linux/arm64 at ${address} does not answer (${r.why}); nothing was built or pushed`,
                    );
                    return true;
                },
            );
            assert.deepStrictEqual(await client.listTags(repository), []);
        });
    }
});
