import * as assert from "assert";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pushPlatformBlobs } from "../../src/builder/platformBuild";
import { BlobTooLargeError, RegistryClient, sha256Digest } from "../../src/registry";
import { startProxy, TestProxy } from "../fixtures/registry/proxy";
import { uniqueRepo } from "../fixtures/registry/testImage";

describe("pushPlatformBlobs: a layer the registry refuses for its size @integration", () => {
    let proxy: TestProxy | undefined;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-platform-test-"));
    after(async () => {
        await proxy?.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    /** A layer file of `bytes` random bytes, as writeLayer leaves it. */
    function layer(bytes: number) {
        const data = randomBytes(bytes);
        const file = path.join(dir, `${bytes}.tar.gz`);
        fs.writeFileSync(file, data);
        const digest = sha256Digest(data);
        return { diffId: digest, digest, size: bytes, path: file, tarSize: bytes };
    }

    const rows = [
        { name: "shared by both platforms", on: ["linux/amd64", "linux/arm64"] },
        { name: "of arm64 alone", on: ["linux/arm64"] },
    ];
    for (const r of rows) {
        it(`names the platforms whose layer it is: ${r.name}`, async () => {
            const big = layer(2 * 1024 * 1024 + r.on.length);
            const small = layer(1000 + r.on.length);
            // Anything over 1 MiB is refused at its headers, as nginx's client_max_body_size 1m does.
            proxy = await startProxy(
                (req, res, forward) =>
                    req.method === "PUT" && Number(req.headers["content-length"]) > 1024 * 1024
                        ? res.writeHead(413, { Connection: "close" }).end()
                        : forward(),
                0,
                5000,
                (req) => req.method === "PUT" && Number(req.headers["content-length"]) > 1024 * 1024,
            );
            const images = (["linux/amd64", "linux/arm64"] as const).map((p) => ({
                platform: { os: "linux", architecture: p.split("/")[1] },
                config: Buffer.from(`{"architecture":"${p}"}`),
                layers: r.on.includes(p) ? [small, big] : [small],
                manifest: Buffer.from("{}"),
            }));
            const repo = uniqueRepo(proxy.registry, "platform-too-large");
            await assert.rejects(pushPlatformBlobs(new RegistryClient(), repo, images, 2), (e: unknown) => {
                assert.ok(e instanceof BlobTooLargeError, String(e));
                assert.deepStrictEqual(e.platforms, r.on);
                assert.ok(
                    e.message.startsWith(
                        `${repo} refused blob ${big.digest} (a layer of ${r.on.join(", ")}), 2.0 MiB (${big.size} bytes), as too large (413)`,
                    ),
                    e.message,
                );
                return true;
            });
            await proxy.close();
            proxy = undefined;
        });
    }
});
