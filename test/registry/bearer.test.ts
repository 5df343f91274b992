import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { OCI_INDEX, RegistryAuthError, RegistryClient } from "../../src/registry";
import { TestProxy, startProxy } from "../fixtures/registry/proxy";
import { pushTestImage } from "../fixtures/registry/testImage";

const USER = "bearer-user";
const PASSWORD = "bearer-pass-123";

/** Token server + reverse proxy: every /v2/ request needs a token for the scope it challenges with. */
async function startBearerRegistry(): Promise<{ proxy: TestProxy; tokenHits: Record<string, number> }> {
    const tokenHits: Record<string, number> = {};
    const issued = new Map<string, string>(); // token -> scope
    const proxy = await startProxy((req, res, forward) => {
        const url = new URL(req.url ?? "/", "http://x");
        if (url.pathname === "/token") {
            const scope = url.searchParams.get("scope") ?? "";
            tokenHits[scope] = (tokenHits[scope] ?? 0) + 1;
            const want = "Basic " + Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
            if (req.headers.authorization !== want || url.searchParams.get("service") !== "test") {
                res.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
                return;
            }
            const token = `tok-${issued.size + 1}`;
            issued.set(token, scope);
            res.writeHead(200, { "Content-Type": "application/json" }).end(
                JSON.stringify({ access_token: token, expires_in: 300 }),
            );
            return;
        }
        const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname);
        const action = req.method === "GET" || req.method === "HEAD" ? "pull" : "pull,push";
        const scope = m ? `repository:${m[1]}:${action}` : "";
        const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
        const granted = issued.get(token);
        if (
            granted !== undefined &&
            (granted === scope || (action === "pull" && granted === scope.replace(":pull", ":pull,push")))
        ) {
            forward();
            return;
        }
        res.writeHead(401, {
            "WWW-Authenticate": `Bearer realm="http://127.0.0.1:${proxy.port}/token",service="test"${scope ? `,scope="${scope}"` : ""}`,
        }).end();
    });
    return { proxy, tokenHits };
}

describe("bearer token flow via a local token server @integration", () => {
    let proxy: TestProxy;
    let tokenHits: Record<string, number>;
    let configFile: string;
    before(async () => {
        ({ proxy, tokenHits } = await startBearerRegistry());
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-bearer-"));
        configFile = path.join(dir, "config.json");
        fs.writeFileSync(
            configFile,
            JSON.stringify({
                auths: { [proxy.registry]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString("base64") } },
            }),
        );
    });
    after(() => proxy.close());

    it("fetches one token per scope (credentials from docker config.json) and reuses it", async () => {
        const client = new RegistryClient({ dockerConfigPath: configFile });
        const repoPath = `test/registry-bearer-${Date.now().toString(36)}`;
        const name = `${proxy.registry}/${repoPath}`;
        const img = await pushTestImage(client, name);
        await client.applyTags(name, img.indexDigest, ["1.0.0", "1.0"]);
        assert.deepStrictEqual(await client.headManifest(name, "1.0"), {
            mediaType: OCI_INDEX,
            digest: img.indexDigest,
            size: img.indexBytes.length,
        });
        const d = await client.describe(`${name}:1.0.0`);
        assert.strictEqual(d.digest, img.indexDigest);
        assert.deepStrictEqual(tokenHits, {
            [`repository:${repoPath}:pull`]: 1,
            [`repository:${repoPath}:pull,push`]: 1,
        });
    });

    it("also works with DOCKER_CONFIG pointing at the config directory", async () => {
        const before = process.env.DOCKER_CONFIG;
        process.env.DOCKER_CONFIG = path.dirname(configFile);
        try {
            const client = new RegistryClient();
            const name = `${proxy.registry}/test/registry-bearer-env-${Date.now().toString(36)}`;
            assert.strictEqual(await client.headManifest(name, "missing"), undefined);
        } finally {
            if (before === undefined) delete process.env.DOCKER_CONFIG;
            else process.env.DOCKER_CONFIG = before;
        }
    });

    it("a bad password gives RegistryAuthError that does not contain the password", async () => {
        const client = new RegistryClient({
            credentials: { [proxy.registry]: { username: USER, password: "not-the-password-xyz" } },
        });
        const name = `${proxy.registry}/test/registry-bearer-bad`;
        await assert.rejects(
            client.getManifest(name, "latest"),
            (e: unknown) =>
                e instanceof RegistryAuthError &&
                e.message ===
                    `authentication failed for ${proxy.registry} (scope "repository:test/registry-bearer-bad:pull"): 401 Unauthorized` &&
                !e.message.includes("not-the-password-xyz"),
        );
    });
});
