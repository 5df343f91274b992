import * as assert from "assert";
import {
    MalformedManifestError,
    PartialTagError,
    RegistryClient,
    RegistryUnavailableError,
} from "../../src/registry";
import { TestProxy, startProxy } from "../fixtures/registry/proxy";
import { LOCAL, pushTestImage } from "../fixtures/registry/testImage";

const FAST = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

function repoPath(area: string): string {
    return `test/registry-${area}-${Math.random().toString(16).slice(2, 10)}`;
}

describe("registry faults through local proxies @integration", () => {
    const proxies: TestProxy[] = [];
    afterEach(async () => {
        while (proxies.length)
            await proxies
                .pop()!
                .close()
                .catch(() => undefined);
    });

    it("retries two 503s and then succeeds", async () => {
        const p = await startProxy((_req, res, forward, n) =>
            n <= 2 ? res.writeHead(503).end() : forward(),
        );
        proxies.push(p);
        const client = new RegistryClient({ retry: FAST });
        assert.strictEqual(await client.ping(p.registry), 200);
        assert.strictEqual(p.requests.length, 3);
    });

    it("gives RegistryUnavailableError after exactly N attempts of 503", async () => {
        const p = await startProxy((_req, res) => res.writeHead(503).end());
        proxies.push(p);
        const client = new RegistryClient({ retry: { ...FAST, attempts: 3 } });
        const name = `${p.registry}/${repoPath("always503")}`;
        await assert.rejects(
            client.getManifest(name, "latest"),
            (e: unknown) =>
                e instanceof RegistryUnavailableError &&
                e.message === `registry ${p.registry} unreachable after 3 attempts: 503 Service Unavailable`,
        );
        assert.strictEqual(p.requests.length, 3);
    });

    it("times out a hanging request and retries it", async () => {
        const p = await startProxy(() => undefined /* never answers */);
        proxies.push(p);
        const client = new RegistryClient({ retry: { ...FAST, attempts: 2 }, timeoutMs: 100 });
        await assert.rejects(
            client.ping(p.registry),
            (e: unknown) =>
                e instanceof RegistryUnavailableError &&
                e.message === `registry ${p.registry} unreachable after 2 attempts: request timed out`,
        );
        assert.strictEqual(p.requests.length, 2);
    });

    it("a malformed manifest body gives MalformedManifestError", async () => {
        const body = '{"schemaVersion": 2, "mediaType": ';
        const p = await startProxy((_req, res) =>
            res.writeHead(200, { "Content-Type": "application/vnd.oci.image.manifest.v1+json" }).end(body),
        );
        proxies.push(p);
        let detail = "";
        try {
            JSON.parse(body);
        } catch (e) {
            detail = (e as Error).message;
        }
        const client = new RegistryClient({ retry: FAST });
        const name = `${p.registry}/${repoPath("malformed")}`;
        await assert.rejects(
            client.getManifest(name, "1.0.0"),
            (e: unknown) =>
                e instanceof MalformedManifestError &&
                e.message === `manifest 1.0.0 in ${name} is not valid JSON: ${detail}`,
        );
    });

    it("a registry stopped mid-run during applyTags fails with RegistryUnavailableError and writes no tag", async () => {
        let stopAt = Infinity;
        let stopped: Promise<void> | undefined;
        const p = await startProxy((_req, res, forward, n) => {
            if (n >= stopAt) {
                stopped ??= p.close();
                res.destroy();
                return;
            }
            forward();
        });
        proxies.push(p);
        const client = new RegistryClient({ retry: FAST });
        const path = repoPath("stopped");
        const name = `${p.registry}/${path}`;
        const img = await pushTestImage(client, name);
        // applyTags: GET manifest, then one HEAD per tag; the registry dies at the third HEAD.
        stopAt = p.requests.length + 4;
        await assert.rejects(
            client.applyTags(name, img.indexDigest, ["2.0.0", "2.0", "2", "git-abcdef0"]),
            (e: unknown) =>
                e instanceof RegistryUnavailableError &&
                e.message === `registry ${p.registry} unreachable after 4 attempts: ECONNREFUSED`,
        );
        await stopped;
        const restarted = await startProxy((_req, _res, forward) => forward(), p.port);
        proxies.push(restarted);
        assert.deepStrictEqual(await client.listTags(name), []);
        assert.deepStrictEqual(await new RegistryClient().listTags(`${LOCAL}/${path}`), []);
    });

    it("a PUT failing midway restores moved floating tags and names what was applied", async () => {
        const fail = { tag: "" };
        const p = await startProxy((req, res, forward) => {
            if (fail.tag && req.method === "PUT" && req.url?.endsWith(`/manifests/${fail.tag}`)) {
                res.writeHead(400, { "Content-Type": "text/plain" }).end("nope");
                return;
            }
            forward();
        });
        proxies.push(p);
        const client = new RegistryClient({ retry: FAST });
        const name = `${p.registry}/${repoPath("partial")}`;
        const old = await pushTestImage(client, name, "old");
        await client.applyTags(name, old.indexDigest, ["3.0"]);
        const next = await pushTestImage(client, name, "new");
        fail.tag = "3";
        await assert.rejects(
            client.applyTags(name, next.indexDigest, ["3.0", "git-1234567", "3", "3.0.1"]),
            (e: unknown) =>
                e instanceof PartialTagError &&
                e.message ===
                    `applying tags to ${name} failed: PUT manifest 3 in ${name} answered 400 Bad Request: nope; ` +
                        "applied: git-1234567, 3.0.1, 3.0; not applied: 3; restored to previous digest: 3.0",
        );
        assert.strictEqual((await client.headManifest(name, "3.0"))?.digest, old.indexDigest);
        assert.strictEqual(await client.headManifest(name, "3"), undefined);
        // Immutable tags go first: the release itself is complete, only floating tags wait for a rerun.
        assert.strictEqual((await client.headManifest(name, "3.0.1"))?.digest, next.indexDigest);
        assert.strictEqual((await client.headManifest(name, "git-1234567"))?.digest, next.indexDigest);
    });
});
