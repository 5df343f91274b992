import * as assert from "assert";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { BlobTooLargeError, RegistryClient, sha256Digest } from "../../src/registry";
import { TestProxy, startProxy } from "../fixtures/registry/proxy";
import { uniqueRepo } from "../fixtures/registry/testImage";

const MiB = 1024 * 1024;
const FAST = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };
const ADVICE =
    "raise it (nginx client_max_body_size, ingress-nginx proxy-body-size) or push to a registry without one";

/** Is this request the PUT that closes an upload session (the one that carries the blob)? */
const closesUpload = (req: http.IncomingMessage): boolean =>
    req.method === "PUT" && /\/blobs\/uploads\/.*digest=/.test(req.url ?? "");

/** Each way a registry or the proxy in front of it refuses a blob for its size. */
const refusals: {
    name: string;
    answer: (req: http.IncomingMessage, res: http.ServerResponse) => void;
    /** What the message says between "(413" and ")". */
    said: string;
    /** Answered at the headers, before any "100 Continue" (nginx), rather than after reading. */
    beforeContinue: boolean;
}[] = [
    {
        name: "nginx: 413 at the headers, body unread, connection closed",
        answer: (_req, res) =>
            res
                .writeHead(413, "Request Entity Too Large", {
                    "Content-Type": "text/html",
                    Connection: "close",
                })
                .end("<html><body><h1>413 Request Entity Too Large</h1></body></html>"),
        said: "",
        beforeContinue: true,
    },
    {
        name: "a registry that reads the body, then answers 413 with errors[]",
        answer: (req, res) => {
            req.resume();
            req.on("end", () =>
                res.writeHead(413, { "Content-Type": "application/json" }).end(
                    JSON.stringify({
                        errors: [{ code: "SIZE_INVALID", message: "blobs over 1 MiB are refused" }],
                    }),
                ),
            );
        },
        said: ": SIZE_INVALID: blobs over 1 MiB are refused",
        beforeContinue: false,
    },
];

describe("blob upload refused for its size (413) @integration", () => {
    const proxies: TestProxy[] = [];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-upload-test-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    afterEach(async () => {
        while (proxies.length) await proxies.pop()!.close();
    });

    for (const r of refusals) {
        for (const from of ["file", "memory"] as const) {
            it(`${r.name}, from ${from}: BlobTooLargeError naming the blob and its size, one attempt`, async () => {
                const p = await startProxy((req, res, forward) =>
                    closesUpload(req) ? r.answer(req, res) : forward(),
                );
                proxies.push(p);
                const bytes = randomBytes(3 * MiB);
                const digest = sha256Digest(bytes);
                const file = path.join(dir, `${digest.slice(7, 19)}.bin`);
                fs.writeFileSync(file, bytes);
                const repo = uniqueRepo(p.registry, "too-large");
                const client = new RegistryClient({ retry: FAST });
                const push =
                    from === "file"
                        ? client.pushBlobFile(repo, { digest, size: bytes.length, path: file })
                        : client.pushBlob(repo, bytes);
                await assert.rejects(push, (e: unknown) => {
                    assert.ok(e instanceof BlobTooLargeError, String(e));
                    assert.strictEqual(
                        e.message,
                        `${repo} refused blob ${digest}, 3 MiB (3145728 bytes), as too large (413${r.said}): ` +
                            `the registry, or a proxy in front of it, takes no request body this large` +
                            `${r.said ? "" : " and did not say its limit"}; ${ADVICE}`,
                    );
                    assert.deepStrictEqual(
                        [e.status, e.size, e.digest, e.temporary],
                        [413, 3 * MiB, digest, false],
                    );
                    return true;
                });
                assert.strictEqual(
                    p.requests.filter((q) => q.method === "PUT").length,
                    1,
                    "a 413 is not retried",
                );
            });
        }
    }

    it("ofPlatforms names the platforms and keeps the registry's facts", () => {
        const reply = {
            method: "PUT",
            url: "http://r/v2/x/blobs/uploads/1?digest=d",
            status: 413,
            statusText: "",
        };
        const e = new BlobTooLargeError("r/x", "sha256:ab", 5 * 1024 ** 3 + 1, reply).ofPlatforms([
            "linux/amd64",
            "linux/arm64",
        ]);
        assert.strictEqual(
            e.message,
            "r/x refused blob sha256:ab (a layer of linux/amd64, linux/arm64), 5.0 GiB (5368709121 bytes), as too " +
                "large (413): the registry, or a proxy in front of it, takes no request body this large and did not " +
                `say its limit; ${ADVICE}`,
        );
        assert.deepStrictEqual(
            [e.status, e.url, e.platforms],
            [413, reply.url, ["linux/amd64", "linux/arm64"]],
        );
    });
});
