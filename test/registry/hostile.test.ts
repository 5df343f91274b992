import * as assert from "assert";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    ATTESTATION_LIMIT,
    RegistryClient,
    RegistryClientOptions,
    copyImage,
    sha256Digest,
} from "../../src/registry";
import { blobUrl, manifestUrl, pathSegment, referrersUrl } from "../../src/registry/endpoints";
import { printable, redactUrl } from "../../src/registry/errors";
import { commitAll, makeRepo } from "../fixtures/cli/repo";
import {
    FixtureRegistry,
    OCI_INDEX_TYPE,
    OCI_MANIFEST_TYPE,
    addImage,
    indexBytes,
    platformEntry,
    streamBytes,
} from "../fixtures/registry/hostile";

/*
 * A hostile registry, one row per attack of issue 16 (items 1, 2, 4, 8 and 12): each row plays the
 * registries it needs on 127.0.0.1 and 127.0.0.2 (two origins), drives the client or copyImage (what
 * promote and `pulumi up` run), asserts the exact refusal, and from the fixtures' request logs that the
 * target received no write and which origin received which Authorization.
 */

const CREDS = { username: "hostile-user", password: "s3cret-pass" };
const BASIC = `Basic ${Buffer.from("hostile-user:s3cret-pass").toString("base64")}`;
const REPO = "team/app";
const FORMS = "sha256:<64 hex> or sha512:<128 hex>";

interface Row {
    name: string;
    /** The row's own mocha timeout: a row that would hang without its fix fails here instead. */
    timeoutMs?: number;
    run: (start: (o?: { host?: string }) => Promise<FixtureRegistry>) => Promise<void>;
}

/** A client holding credentials for `authed` registries only; retries fast. */
function clientFor(authed: FixtureRegistry[], o: Partial<RegistryClientOptions> = {}): RegistryClient {
    return new RegistryClient({
        credentials: Object.fromEntries(authed.map((r) => [r.registry, CREDS])),
        dockerConfigPath: "/nonexistent/config.json",
        retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
        ...o,
    });
}

/** What became of a promise, for rows that check the registries' logs before the outcome. */
async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: Error }> {
    try {
        return { value: await p };
    } catch (e) {
        return { error: e as Error };
    }
}

/** The outcome's error, whose message must be exactly `message` (a string, or a whole-text RegExp). */
function refusal(outcome: { error?: Error }, message: string | RegExp): Error {
    const { error } = outcome;
    assert.ok(error, "expected a refusal, got success");
    if (typeof message === "string") assert.strictEqual(error.message, message);
    else assert.match(error.message, message);
    return error;
}

async function refused(p: Promise<unknown>, message: string | RegExp): Promise<Error> {
    return refusal(await settle(p), message);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const sigTag = (digest: string): string => `sha256-${digest.slice("sha256:".length)}.sig`;

/** Answers `method path` (any method when omitted) with `answer`, once or every time. */
function on(
    r: FixtureRegistry,
    path: string,
    answer: Parameters<FixtureRegistry["intercept"]>[0],
    method?: string,
): void {
    r.intercept((req, res) => {
        if (req.url.pathname !== path || (method !== undefined && req.method !== method)) return false;
        return answer(req, res);
    });
}

/** Every request to `r` without Basic credentials gets a Basic challenge. */
function basicOnly(r: FixtureRegistry): void {
    r.intercept((req, res) => {
        if (req.authorization === BASIC) return false;
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="fixture"' }).end();
        return true;
    });
}

/** The attacker's image, where a `../../../victim/app/manifests/9.9.9` child resolves on the source. */
function plantVictim(source: FixtureRegistry): void {
    addImage(source, "victim/app", "attacker", "9.9.9");
}

/** An index of one real platform image in `source`; returns its digest. */
function legitIndex(source: FixtureRegistry): string {
    const image = addImage(source, REPO, "legit");
    return source.addManifest(REPO, indexBytes([platformEntry(image.digest, image.size)]), OCI_INDEX_TYPE);
}

const item1: Row[] = [
    {
        name: "1: a .sig HEAD answering Docker-Content-Digest: x-evil is refused before anything is written",
        run: async (start) => {
            const [source, target] = [await start(), await start()];
            const digest = legitIndex(source);
            plantVictim(source);
            const evil = indexBytes([platformEntry("../../../victim/app/manifests/9.9.9", 100)]);
            source.manifests.set(`${REPO}@x-evil`, { body: evil, mediaType: OCI_INDEX_TYPE });
            on(source, `/v2/${REPO}/manifests/${sigTag(digest)}`, (req, res) => {
                res.writeHead(200, {
                    "Content-Type": OCI_INDEX_TYPE,
                    "Content-Length": String(evil.length),
                    "Docker-Content-Digest": "x-evil",
                }).end(req.method === "HEAD" ? undefined : evil);
                return true;
            });
            const copied = await settle(
                copyImage(clientFor([target]), {
                    from: `${source.registry}/${REPO}`,
                    to: `${target.registry}/${REPO}`,
                    digest,
                    tags: ["1.0.0"],
                    artifactTags: [sigTag(digest)],
                }),
            );
            assert.deepStrictEqual(target.writes(), []);
            refusal(
                copied,
                `HEAD manifest ${sigTag(digest)} in ${source.registry}/${REPO} answered Docker-Content-Digest "x-evil", which is not a digest (${FORMS}); refusing it`,
            );
        },
    },
    ...["../../../victim/app/manifests/9.9.9", "latest"].map((child): Row => ({
        name: `1: an index child whose digest is "${child}" is refused before anything is written`,
        run: async (start) => {
            const [source, target] = [await start(), await start()];
            plantVictim(source);
            addImage(source, REPO, "attacker", "latest");
            const index = indexBytes([platformEntry(child, 100)]);
            const digest = source.addManifest(REPO, index, OCI_INDEX_TYPE);
            const copied = await settle(
                copyImage(clientFor([target]), {
                    from: `${source.registry}/${REPO}`,
                    to: `${target.registry}/${REPO}`,
                    digest,
                    tags: ["1.0.0"],
                }),
            );
            assert.deepStrictEqual(target.writes(), []);
            refusal(
                copied,
                `manifest ${digest} in ${source.registry}/${REPO} gives manifests[0] the digest "${child}", which is not a digest (${FORMS}); refusing it`,
            );
        },
    })),
    {
        name: "1: a tags list naming ../x is refused, not requested next",
        run: async (start) => {
            const a = await start();
            on(a, `/v2/${REPO}/tags/list`, (_req, res) => {
                res.writeHead(200).end(JSON.stringify({ tags: ["1.0.0", "../x"] }));
                return true;
            });
            await refused(
                clientFor([]).listTags(`${a.registry}/${REPO}`),
                `listing tags of ${a.registry}/${REPO} answered with tag "../x", which is not a tag; refusing it`,
            );
        },
    },
];

/** Serves `bytes` as a manifest when the request carries `auth`; else the challenge. */
function manifestBehind(
    r: FixtureRegistry,
    path: string,
    auth: string,
    bytes: Buffer,
    challenge: string,
): void {
    on(r, path, (req, res) => {
        if (req.authorization !== auth) res.writeHead(401, { "WWW-Authenticate": challenge }).end();
        else res.writeHead(200, { "Content-Type": OCI_MANIFEST_TYPE }).end(bytes);
        return true;
    });
}

const item2: Row[] = [
    {
        name: "2a: a redirect to B whose challenge names a realm: B's challenge is answered anonymously, at B",
        run: async (start) => {
            const [a, b] = [await start(), await start({ host: "127.0.0.2" })];
            const image = addImage(a, REPO, "one");
            manifestBehind(a, `/v2/${REPO}/manifests/1.0.0`, BASIC, image.bytes, 'Basic realm="a"');
            on(a, `/v2/${REPO}/manifests/${image.digest}`, (req, res) => {
                if (req.authorization !== BASIC)
                    res.writeHead(401, { "WWW-Authenticate": 'Basic realm="a"' });
                else res.writeHead(307, { Location: `${b.origin}/blobs/m?sig=1` });
                res.end();
                return true;
            });
            const bChallenge = `Bearer realm="${b.origin}/token",service="storage",scope="storage:read"`;
            manifestBehind(b, "/blobs/m", "Bearer tok-b", image.bytes, bChallenge);
            on(b, "/token", (_req, res) => (res.writeHead(200).end('{"token":"tok-b"}'), true));
            const client = clientFor([a]);
            assert.strictEqual(
                (await client.getManifest(`${a.registry}/${REPO}`, "1.0.0")).digest,
                image.digest,
            );
            const redirected = await settle(client.getManifest(`${a.registry}/${REPO}`, image.digest));
            assert.deepStrictEqual(b.seen(), [
                "GET /blobs/m?sig=1 -",
                "GET /token?service=storage&scope=storage%3Aread -",
                "GET /blobs/m?sig=1 Bearer tok-b",
            ]);
            assert.strictEqual(redirected.value?.digest, image.digest, redirected.error?.message);
            assert.deepStrictEqual(a.seen(), [
                `GET /v2/${REPO}/manifests/1.0.0 -`,
                `GET /v2/${REPO}/manifests/1.0.0 ${BASIC}`,
                `GET /v2/${REPO}/manifests/${image.digest} ${BASIC}`,
            ]);
        },
    },
    {
        name: "2a: Docker Hub's shape still authenticates: the registry's own challenge names a realm on another host",
        run: async (start) => {
            const [registry, auth] = [await start(), await start({ host: "127.0.0.2" })];
            const image = addImage(registry, REPO, "hub");
            const challenge = `Bearer realm="${auth.origin}/token",service="registry.test",scope="repository:${REPO}:pull"`;
            manifestBehind(registry, `/v2/${REPO}/manifests/1.0.0`, "Bearer tok-a", image.bytes, challenge);
            on(auth, "/token", (req, res) => {
                if (req.authorization === BASIC) res.writeHead(200).end('{"token":"tok-a"}');
                else res.writeHead(401).end();
                return true;
            });
            const got = await clientFor([registry]).getManifest(`${registry.registry}/${REPO}`, "1.0.0");
            assert.strictEqual(got.digest, image.digest);
            assert.deepStrictEqual(registry.seen(), [
                `GET /v2/${REPO}/manifests/1.0.0 -`,
                `GET /v2/${REPO}/manifests/1.0.0 Bearer tok-a`,
            ]);
            assert.deepStrictEqual(auth.seen(), [
                `GET /token?service=registry.test&scope=repository%3Ateam%2Fapp%3Apull ${BASIC}`,
            ]);
        },
    },
    {
        name: '2b: a tags Link rel="next" on another origin is refused; that origin hears nothing',
        run: async (start) => {
            const [a, b] = [await start(), await start({ host: "127.0.0.2" })];
            basicOnly(a);
            const next = `${b.origin}/v2/${REPO}/tags/list?n=1000&last=a`;
            on(a, `/v2/${REPO}/tags/list`, (_req, res) => {
                res.writeHead(200, { Link: `<${next}>; rel="next"` }).end('{"tags":["a"]}');
                return true;
            });
            await refused(
                clientFor([a]).listTags(`${a.registry}/${REPO}`),
                `listing tags of ${a.registry}/${REPO}: the next page is "${next}", which is on another origin than ${a.origin}; refusing it`,
            );
            assert.deepStrictEqual(a.seen(), [
                `GET /v2/${REPO}/tags/list?n=1000 -`,
                `GET /v2/${REPO}/tags/list?n=1000 ${BASIC}`,
            ]);
            assert.deepStrictEqual(b.seen(), []);
        },
    },
    {
        name: "2c: an upload Location on another origin gets the bytes without the registry's credentials (pushBlob)",
        run: async (start) => {
            const [a, b] = [await start(), await start({ host: "127.0.0.2" })];
            basicOnly(a);
            const blob = Buffer.from("pushed blob\n");
            const digest = sha256Digest(blob);
            on(a, `/v2/${REPO}/blobs/uploads/`, (_req, res) => {
                res.writeHead(202, { Location: `${b.origin}/upload/x1` }).end();
                return true;
            });
            on(b, "/upload/x1", (req, res) => (b.addBlob(req.body), res.writeHead(201).end(), true));
            assert.deepStrictEqual(await clientFor([a]).pushBlob(`${a.registry}/${REPO}`, blob), {
                digest,
                uploaded: true,
            });
            assert.deepStrictEqual(a.seen(), [
                `HEAD /v2/${REPO}/blobs/${digest} -`,
                `HEAD /v2/${REPO}/blobs/${digest} ${BASIC}`,
                `POST /v2/${REPO}/blobs/uploads/ ${BASIC}`,
            ]);
            assert.deepStrictEqual(b.seen(), [`PUT /upload/x1?digest=${encodeURIComponent(digest)} -`]);
            assert.ok(b.blobs.get(digest)?.equals(blob));
        },
    },
    {
        name: "2c: a layer streamed from a file to an upload Location on another origin carries no credentials (pushBlobFile)",
        run: async (start) => {
            const [a, b] = [await start(), await start({ host: "127.0.0.2" })];
            basicOnly(a);
            const blob = Buffer.from("layer bytes on disk\n".repeat(20000));
            const digest = sha256Digest(blob);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-hostile-"));
            const file = path.join(dir, "layer.tar.gz");
            fs.writeFileSync(file, blob);
            on(a, `/v2/${REPO}/blobs/uploads/`, (_req, res) => {
                res.writeHead(202, { Location: `${b.origin}/upload/x1` }).end();
                return true;
            });
            on(b, "/upload/x1", (req, res) => (b.addBlob(req.body), res.writeHead(201).end(), true));
            try {
                assert.deepStrictEqual(
                    await clientFor([a]).pushBlobFile(`${a.registry}/${REPO}`, {
                        digest,
                        size: blob.length,
                        path: file,
                    }),
                    { digest, uploaded: true },
                );
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
            assert.deepStrictEqual(a.seen(), [
                `HEAD /v2/${REPO}/blobs/${digest} -`,
                `HEAD /v2/${REPO}/blobs/${digest} ${BASIC}`,
                `POST /v2/${REPO}/blobs/uploads/ ${BASIC}`,
            ]);
            assert.deepStrictEqual(b.seen(), [`PUT /upload/x1?digest=${encodeURIComponent(digest)} -`]);
            assert.ok(b.blobs.get(digest)?.equals(blob));
        },
    },
    {
        name: "2c: a streamed copy into an upload Location on another origin sends no credentials either",
        run: async (start) => {
            const [source, a, b] = [await start(), await start(), await start({ host: "127.0.0.2" })];
            const blob = Buffer.from("streamed blob\n");
            const digest = source.addBlob(blob);
            basicOnly(a);
            on(a, "/v2/team/copy/blobs/uploads/", (_req, res) => {
                res.writeHead(202, { Location: `${b.origin}/upload/x2?state=s` }).end();
                return true;
            });
            on(b, "/upload/x2", (req, res) => (b.addBlob(req.body), res.writeHead(201).end(), true));
            const n = await clientFor([a]).copyBlob(`${source.registry}/${REPO}`, `${a.registry}/team/copy`, {
                digest,
                size: blob.length,
            });
            assert.strictEqual(n, blob.length);
            assert.deepStrictEqual(a.seen(), [
                "POST /v2/team/copy/blobs/uploads/ -",
                `POST /v2/team/copy/blobs/uploads/ ${BASIC}`,
            ]);
            assert.deepStrictEqual(b.seen(), [
                `PUT /upload/x2?state=s&digest=${encodeURIComponent(digest)} -`,
            ]);
        },
    },
];

/** Answers every tags page after `delayMs`, each naming a next one: an endless, slow list. */
function slowEndlessTags(r: FixtureRegistry, delayMs: number): void {
    on(r, `/v2/${REPO}/tags/list`, (req, res) => {
        const n = Number(req.url.searchParams.get("last")?.slice(1) ?? 0) + 1;
        setTimeout(() => {
            const link = `</v2/${REPO}/tags/list?n=1000&last=t${n}>; rel="next"`;
            res.writeHead(200, { Link: link }).end(JSON.stringify({ tags: [`t${n}`] }));
        }, delayMs);
        return true;
    });
}

/** A blob answer that sends `sendBytes` of `blob` at once, then one byte per `everyMs` until the end. */
function drip(r: FixtureRegistry, digest: string, blob: Buffer, firstBytes: number, everyMs: number): void {
    on(r, `/v2/${REPO}/blobs/${digest}`, (_req, res) => {
        res.writeHead(200, { "Content-Length": String(blob.length) });
        res.write(blob.subarray(0, firstBytes));
        let at = firstBytes;
        const timer = setInterval(() => {
            if (res.destroyed || at >= blob.length) return void clearInterval(timer);
            res.write(blob.subarray(at, ++at));
            if (at === blob.length) res.end();
        }, everyMs);
        return true;
    });
}

const MiB = 1024 * 1024;

const item4: Row[] = [
    ...[true, false].map((withLength): Row => ({
        name: `4: a 64 MiB manifest${withLength ? "" : " without Content-Length"} is refused at 4 MiB, and not read further`,
        run: async (start) => {
            const a = await start();
            let served: Promise<number> = Promise.resolve(0);
            on(a, `/v2/${REPO}/manifests/1.0.0`, (_req, res) => {
                const length: Record<string, string> = withLength
                    ? { "Content-Length": String(64 * MiB) }
                    : {};
                served = streamBytes(res, 64 * MiB, { "Content-Type": OCI_MANIFEST_TYPE, ...length });
                return true;
            });
            await refused(
                clientFor([]).getManifest(`${a.registry}/${REPO}`, "1.0.0"),
                `GET manifest 1.0.0 in ${a.registry}/${REPO} answered with more than 4 MiB (4194304 bytes), the limit for a manifest; refusing it`,
            );
            assert.strictEqual(a.log.length, 1, "a refusal of its size is not tried again");
            const sent = await served;
            assert.ok(sent < 16 * MiB, `the fixture wrote ${sent} bytes before the client hung up`);
        },
    })),
    {
        name: "4: a token response over 64 KiB is refused",
        run: async (start) => {
            const a = await start();
            on(a, `/v2/${REPO}/manifests/1.0.0`, (_req, res) => {
                res.writeHead(401, {
                    "WWW-Authenticate": `Bearer realm="${a.origin}/token",service="a"`,
                }).end();
                return true;
            });
            on(a, "/token", (_req, res) => (void streamBytes(res, 65 * 1024, {}), true));
            await refused(
                clientFor([a]).getManifest(`${a.registry}/${REPO}`, "1.0.0"),
                `token endpoint for ${a.registry} answered with more than 64 KiB (65536 bytes), the limit for a token response; refusing it`,
            );
        },
    },
    {
        name: "4: an image config over 4 MiB is refused while reading it",
        run: async (start) => {
            const a = await start();
            const image = addImage(a, REPO, "big-config", "1.0.0");
            const config = (JSON.parse(image.bytes.toString()) as { config: { digest: string } }).config
                .digest;
            on(a, `/v2/${REPO}/blobs/${config}`, (_req, res) => (void streamBytes(res, 8 * MiB, {}), true));
            await refused(
                clientFor([]).describe(`${a.registry}/${REPO}:1.0.0`),
                `GET blob ${config} in ${a.registry}/${REPO} answered with more than 4 MiB (4194304 bytes), the limit for a config or signature payload; refusing it`,
            );
        },
    },
    {
        name: "4: a 5 MiB attestation is read under its own cap; as a signature payload it is refused",
        run: async (start) => {
            const a = await start();
            const payload = Buffer.alloc(5 * MiB, "a");
            const digest = a.addBlob(payload);
            const client = clientFor([]);
            assert.ok(
                (await client.getBlob(`${a.registry}/${REPO}`, digest, ATTESTATION_LIMIT)).equals(payload),
            );
            await refused(
                client.getBlob(`${a.registry}/${REPO}`, digest),
                `GET blob ${digest} in ${a.registry}/${REPO} answered with more than 4 MiB (4194304 bytes), the limit for a config or signature payload; refusing it`,
            );
        },
    },
    {
        name: "4: a HEAD's Content-Length is what it describes (a 2 GiB layer), not a body over any cap",
        run: async (start) => {
            const a = await start();
            const digest = sha256Digest(Buffer.from("a 2 GiB layer"));
            on(
                a,
                `/v2/${REPO}/blobs/${digest}`,
                (_req, res) => (res.writeHead(200, { "Content-Length": String(2048 * MiB) }).end(), true),
                "HEAD",
            );
            assert.strictEqual(await clientFor([]).hasBlob(`${a.registry}/${REPO}`, digest), true);
        },
    },
    {
        name: "4: an index of 1,025 entries is refused by default, and read when maxIndexEntries allows it",
        run: async (start) => {
            const a = await start();
            const entries = Array.from({ length: 1025 }, (_, i) =>
                platformEntry(sha256Digest(Buffer.from(String(i))), 100),
            );
            const digest = a.addManifest(REPO, indexBytes(entries), OCI_INDEX_TYPE);
            await refused(
                clientFor([]).getManifest(`${a.registry}/${REPO}`, digest),
                `index ${digest} in ${a.registry}/${REPO} lists 1025 manifests, more than the 1024 an index may list (maxIndexEntries); refusing it`,
            );
            const roomier = clientFor([], { maxIndexEntries: 2000 });
            assert.strictEqual((await roomier.getManifest(`${a.registry}/${REPO}`, digest)).digest, digest);
        },
    },
    {
        name: "4: an index listing one child three times copies it once",
        run: async (start) => {
            const [source, target] = [await start(), await start()];
            const image = addImage(source, REPO, "once");
            const entry = platformEntry(image.digest, image.size);
            const digest = source.addManifest(REPO, indexBytes([entry, entry, entry]), OCI_INDEX_TYPE);
            const result = await copyImage(clientFor([]), {
                from: `${source.registry}/${REPO}`,
                to: `${target.registry}/${REPO}`,
                digest,
            });
            assert.deepStrictEqual(result.manifests, { copied: 2, present: 0 });
            const gets = source.log.filter((s) => s.method === "GET" && s.url.endsWith(image.digest));
            assert.strictEqual(gets.length, 1);
            assert.deepStrictEqual(
                target.writes().filter((w) => w.startsWith("PUT /v2/")),
                [`PUT /v2/${REPO}/manifests/${image.digest}`, `PUT /v2/${REPO}/manifests/${digest}`],
            );
        },
    },
    {
        name: "4: tags pages that each arrive inside the request timeout end at the deadline",
        timeoutMs: 10_000,
        run: async (start) => {
            const a = await start();
            slowEndlessTags(a, 120);
            const began = Date.now();
            const client = clientFor([], { timeoutMs: 300, deadlineMs: 1000 });
            await refused(
                client.listTags(`${a.registry}/${REPO}`),
                new RegExp(
                    `^listing tags of ${escape(`${a.registry}/${REPO}`)}: gave up after (\\d+) pages \\(\\1 tags\\): registry metadata calls \\(manifests, tags, tokens, referrers\\) took longer than their 1 s deadline$`,
                ),
            );
            assert.ok(Date.now() - began < 2500, `took ${Date.now() - began} ms`);
            // The deadline is the client's: its next metadata call fails at once.
            await refused(
                client.headManifest(`${a.registry}/${REPO}`, "1.0.0"),
                `HEAD manifest 1.0.0 in ${a.registry}/${REPO}: gave up: registry metadata calls (manifests, tags, tokens, referrers) took longer than their 1 s deadline`,
            );
        },
    },
    {
        name: "4: a blob transfer that stops sending ends at the stall timeout, tried again, and stores nothing",
        timeoutMs: 10_000,
        run: async (start) => {
            const [source, target] = [await start(), await start()];
            const blob = Buffer.alloc(64 * 1024, "s");
            const digest = sha256Digest(blob);
            drip(source, digest, blob, 1024, 60_000);
            const client = clientFor([], { stallTimeoutMs: 300 });
            await refused(
                client.copyBlob(`${source.registry}/${REPO}`, `${target.registry}/${REPO}`, {
                    digest,
                    size: blob.length,
                }),
                `registry ${source.registry} or ${target.registry} unreachable after 2 attempts: copying blob ${digest} from ${source.registry}/${REPO} to ${target.registry}/${REPO}: no data for 300 ms`,
            );
            assert.strictEqual(target.blobs.has(digest), false);
        },
    },
    {
        name: "4: a slow but steady blob transfer is not cut off by the metadata deadline",
        timeoutMs: 10_000,
        run: async (start) => {
            const [source, target] = [await start(), await start()];
            const blob = Buffer.from("x".repeat(40));
            const digest = sha256Digest(blob);
            drip(source, digest, blob, 10, 40);
            const client = clientFor([], { timeoutMs: 200, deadlineMs: 500, stallTimeoutMs: 300 });
            const n = await client.copyBlob(`${source.registry}/${REPO}`, `${target.registry}/${REPO}`, {
                digest,
                size: blob.length,
            });
            assert.strictEqual(n, blob.length);
            assert.ok(target.blobs.get(digest)?.equals(blob));
        },
    },
];

const item12and8: Row[] = [
    {
        name: "12: terminal escapes and control characters in a refusal's body are stripped",
        run: async (start) => {
            const a = await start();
            const body =
                "\u001b[2J\u001b]0;owned\u0007DENIED:\r\n\u001b[31mfake: all good\u001b[0m\u202e\u0008";
            on(a, `/v2/${REPO}/manifests/1.0.0`, (_req, res) => (res.writeHead(400).end(body), true), "PUT");
            const bytes = Buffer.from("{}");
            await refused(
                clientFor([]).putManifest(`${a.registry}/${REPO}`, "1.0.0", bytes, OCI_MANIFEST_TYPE),
                `PUT manifest 1.0.0 in ${a.registry}/${REPO} answered 400 Bad Request: DENIED: fake: all good`,
            );
        },
    },
    {
        name: "12: control characters in an errors[] message are stripped from the diagnostics",
        run: async (start) => {
            const a = await start();
            const body = JSON.stringify({ errors: [{ code: "DENIED", message: "\u001b[2Jgo\u0007 away" }] });
            on(a, `/v2/${REPO}/manifests/1.0.0`, (_req, res) => (res.writeHead(400).end(body), true), "GET");
            const e = await refused(
                clientFor([]).getManifest(`${a.registry}/${REPO}`, "1.0.0"),
                `GET manifest 1.0.0 in ${a.registry}/${REPO} answered 400 Bad Request`,
            );
            assert.deepStrictEqual((e as unknown as { errors: unknown }).errors, [
                { code: "DENIED", message: "go away" },
            ]);
        },
    },
    {
        name: "12: C1 controls in a reason phrase are stripped",
        run: async (start) => {
            const a = await start();
            // Node writes the reason as latin1: bytes C2 9B, which the client decodes as UTF-8 U+009B (CSI).
            const reason = "Busy\u00c2\u009b2J now";
            on(a, `/v2/${REPO}/manifests/1.0.0`, (_req, res) => (res.writeHead(503, reason).end(), true));
            await refused(
                clientFor([]).getManifest(`${a.registry}/${REPO}`, "1.0.0"),
                `registry ${a.registry} unreachable after 2 attempts: 503 Busy2J now`,
            );
        },
    },
    {
        name: "12: a tags list that is not JSON gets a clear refusal",
        run: async (start) => {
            const a = await start();
            on(a, `/v2/${REPO}/tags/list`, (_req, res) => {
                res.writeHead(200, { "Content-Type": "text/html" }).end("<html>maintenance</html>");
                return true;
            });
            await refused(
                clientFor([]).listTags(`${a.registry}/${REPO}`),
                `listing tags of ${a.registry}/${REPO} answered with a body that is not JSON (expected {"tags": [...]}); refusing it`,
            );
        },
    },
    {
        name: "12: a relative token realm gets a clear refusal naming the registry",
        run: async (start) => {
            const a = await start();
            on(a, `/v2/${REPO}/manifests/1.0.0`, (_req, res) => {
                res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="/token",service="a"' }).end();
                return true;
            });
            await refused(
                clientFor([a]).getManifest(`${a.registry}/${REPO}`, "1.0.0"),
                `${a.registry} (at ${a.origin}) names token realm "/token", which is not an absolute URL; refusing it`,
            );
        },
    },
    {
        name: "8: a token realm with user:password@ in it is refused, the password never quoted",
        run: async (start) => {
            const [a, b] = [await start(), await start({ host: "127.0.0.2" })];
            const realm = `http://user:s3cret@${b.registry}/token`;
            on(a, `/v2/${REPO}/manifests/1.0.0`, (_req, res) => {
                res.writeHead(401, { "WWW-Authenticate": `Bearer realm="${realm}"` }).end();
                return true;
            });
            await refused(
                clientFor([a]).getManifest(`${a.registry}/${REPO}`, "1.0.0"),
                `${a.registry} (at ${a.origin}) names token realm "http://<redacted>@${b.registry}/token", which carries credentials; refusing it`,
            );
            assert.deepStrictEqual(b.seen(), []);
        },
    },
    {
        name: "8: a registry given as user:password@host is refused, the password never quoted",
        run: async () => {
            await refused(
                clientFor([]).ping("user:s3cret@127.0.0.1:5000"),
                'registry "<redacted>@127.0.0.1:5000" is not a host[:port]',
            );
        },
    },
    {
        name: "8: a next-page Link with credentials in it is refused, redacted",
        run: async (start) => {
            const a = await start();
            const next = `http://user:s3cret@${a.registry}/v2/${REPO}/tags/list?last=a`;
            on(a, `/v2/${REPO}/tags/list`, (_req, res) => {
                res.writeHead(200, { Link: `<${next}>; rel="next"` }).end('{"tags":["a"]}');
                return true;
            });
            await refused(
                clientFor([]).listTags(`${a.registry}/${REPO}`),
                `listing tags of ${a.registry}/${REPO}: the next page is "http://<redacted>@${a.registry}/v2/${REPO}/tags/list?last=a", which carries credentials; refusing it`,
            );
        },
    },
    {
        name: "8: an upload Location with credentials in it is refused, redacted, and nothing is uploaded",
        run: async (start) => {
            const [a, b] = [await start(), await start({ host: "127.0.0.2" })];
            on(a, `/v2/${REPO}/blobs/uploads/`, (_req, res) => {
                res.writeHead(202, { Location: `http://user:s3cret@${b.registry}/upload/1` }).end();
                return true;
            });
            await refused(
                clientFor([]).pushBlob(`${a.registry}/${REPO}`, Buffer.from("blob\n")),
                `starting blob upload in ${a.registry}/${REPO} gave upload location "http://<redacted>@${b.registry}/upload/1", which carries credentials; refusing it`,
            );
            assert.deepStrictEqual(b.seen(), []);
        },
    },
];

describe("a hostile registry: one row per attack (issue 16)", () => {
    for (const row of [...item1, ...item2, ...item4, ...item12and8]) {
        it(row.name, async function () {
            if (row.timeoutMs !== undefined) this.timeout(row.timeoutMs);
            const started: FixtureRegistry[] = [];
            const start = async (o: { host?: string } = {}): Promise<FixtureRegistry> => {
                const r = await FixtureRegistry.start(o);
                started.push(r);
                return r;
            };
            try {
                await row.run(start);
            } finally {
                await Promise.all(started.map((r) => r.close()));
            }
        });
    }
});

const ROOT = path.resolve(__dirname, "..", "..");

/** A child process's exit code and output, whatever the code; the parent keeps serving meanwhile. */
function child(
    args: string[],
    env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(process.execPath, args, { cwd: ROOT, env, maxBuffer: 16 * MiB }, (error, stdout, stderr) => {
            resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
        });
    });
}

describe("a hostile registry over https: a plain-http token realm gets no credentials (issue 16, 2d)", () => {
    it("an https registry's http realm is refused before any request; its https realm works", async function () {
        this.timeout(60_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostile-tls-"));
        const [key, cert] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
        // A certificate for a name (not a loopback address, which the client speaks plain http to).
        execFileSync(
            "openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
                .concat(["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=registry.hostile.test"])
                .concat(["-addext", "subjectAltName=DNS:registry.hostile.test"]),
            { stdio: "ignore" },
        );
        const tls = { key: fs.readFileSync(key, "utf8"), cert: fs.readFileSync(cert, "utf8") };
        const a = await FixtureRegistry.start({ tls, name: "registry.hostile.test" });
        const realm = await FixtureRegistry.start({ host: "127.0.0.2" });
        try {
            const image = addImage(a, REPO, "tls");
            const challenge = `Bearer realm="${a.origin}/token",service="s"`;
            manifestBehind(a, `/v2/${REPO}/manifests/https-realm`, "Bearer tok-s", image.bytes, challenge);
            on(a, "/token", (req, res) => {
                if (req.authorization === BASIC) res.writeHead(200).end('{"token":"tok-s"}');
                else res.writeHead(401).end();
                return true;
            });
            on(a, `/v2/${REPO}/manifests/http-realm`, (_req, res) => {
                res.writeHead(401, {
                    "WWW-Authenticate": `Bearer realm="${realm.origin}/token",service="s"`,
                }).end();
                return true;
            });
            const fixtures = path.join(ROOT, "test", "fixtures", "registry");
            const run = await child(
                ["-r", "ts-node/register/transpile-only", "-r", path.join(fixtures, "loopbackDns.ts")]
                    .concat([path.join(fixtures, "tlsClient.ts"), a.registry, CREDS.username, CREDS.password])
                    .concat(["http-realm", "https-realm"]),
                { ...process.env, NODE_EXTRA_CA_CERTS: cert },
            );
            assert.strictEqual(run.code, 0, run.stderr);
            assert.deepStrictEqual(realm.seen(), []);
            assert.deepStrictEqual(JSON.parse(run.stdout), [
                {
                    reference: "http-realm",
                    error: `${a.registry} (at ${a.origin}) names token realm "${realm.origin}/token", which is plain http for an https registry; refusing to send credentials or tokens over it`,
                },
                { reference: "https-realm", digest: image.digest },
            ]);
            assert.deepStrictEqual(a.seen(), [
                `GET /v2/${REPO}/manifests/http-realm -`,
                `GET /v2/${REPO}/manifests/https-realm -`,
                `GET /token?service=s&scope=repository%3Ateam%2Fapp%3Apull ${BASIC}`,
                `GET /v2/${REPO}/manifests/https-realm Bearer tok-s`,
            ]);
        } finally {
            await Promise.all([a.close(), realm.close()]);
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

/** Preloaded into the CLI: its peak RSS (kB) on stderr as it exits. */
const PEAK_RSS =
    'data:text/javascript,process.on("exit",()=>process.stderr.write("peak-rss-kb "+process.resourceUsage().maxRSS+"\\n"))';

describe("a 1 GiB manifest through the CLI (issue 16, 4)", () => {
    it("promote refuses it at 4 MiB, within its own baseline memory plus 64 MB", async function () {
        this.timeout(120_000);
        const a = await FixtureRegistry.start();
        const dirs: string[] = [];
        try {
            const huge = sha256Digest(Buffer.from("a 1 GiB manifest"));
            let served: Promise<number> = Promise.resolve(0);
            on(
                a,
                `/v2/${REPO}/manifests/${huge}`,
                (_req, res) => {
                    // No Content-Length: the cap must hold while reading, not only up front.
                    served = streamBytes(res, 1024 * MiB, { "Content-Type": OCI_MANIFEST_TYPE });
                    return true;
                },
                "GET",
            );
            /** `promote --from staging --to prod` where staging (committed) runs `digest`. */
            const promote = async (
                digest: string,
            ): Promise<{ code: number; lines: string[]; peakKb: number }> => {
                const dir = makeRepo(`${a.registry}/${REPO}`, sha256Digest(Buffer.from("prod's pin")));
                dirs.push(dir);
                const file = path.join(dir, "stacks", "Pulumi.staging.yaml");
                const text = fs.readFileSync(file, "utf8");
                fs.writeFileSync(
                    file,
                    text.replace(/image-release:digest: \S+/, `image-release:digest: ${digest}`),
                );
                commitAll(dir, "staging runs it", 2);
                const cli = ["--import", PEAK_RSS, "bin/image-release.js", "promote", "--from", "staging"];
                const r = await child([...cli, "--to", "prod", "--repo-root", dir]);
                const lines = r.stderr.split("\n").filter((l) => l !== "");
                const peak = /^peak-rss-kb (\d+)$/.exec(lines.pop() ?? "");
                assert.ok(peak, r.stderr);
                return { code: r.code, lines, peakKb: Number(peak[1]) };
            };
            // The baseline: the same command refusing a digest the registry lacks.
            const missing = sha256Digest(Buffer.from("a digest the registry lacks"));
            const baseline = await promote(missing);
            assert.deepStrictEqual(baseline.lines, [
                `image-release: digest ${missing} not found in repo ${a.registry}/${REPO}`,
            ]);
            const big = await promote(huge);
            assert.deepStrictEqual(
                { code: big.code, lines: big.lines },
                {
                    code: 1,
                    lines: [
                        `image-release: GET manifest ${huge} in ${a.registry}/${REPO} answered with more than 4 MiB (4194304 bytes), the limit for a manifest; refusing it`,
                    ],
                },
            );
            assert.ok(
                big.peakKb <= baseline.peakKb + 64 * 1024,
                `peak RSS ${big.peakKb} kB, baseline ${baseline.peakKb} kB`,
            );
            const sent = await served;
            assert.ok(sent < 64 * MiB, `the fixture wrote ${sent} bytes before the CLI hung up`);
        } finally {
            await a.close();
            for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
        }
    });
});

describe("URLs and message text from hostile values (issue 16, 1, 8, 12)", () => {
    const repo = { registry: "127.0.0.1:5000", path: REPO, name: `127.0.0.1:5000/${REPO}` };
    const d256 = `sha256:${"a".repeat(64)}`;
    const d512 = `sha512:${"b".repeat(128)}`;
    const rows: [string, () => string, string | Error][] = [
        ["a tag", () => manifestUrl(repo, "1.0.0"), `http://127.0.0.1:5000/v2/${REPO}/manifests/1.0.0`],
        [
            "a digest keeps its ':'",
            () => manifestUrl(repo, d256),
            `http://127.0.0.1:5000/v2/${REPO}/manifests/${d256}`,
        ],
        ["a sha512 blob", () => blobUrl(repo, d512), `http://127.0.0.1:5000/v2/${REPO}/blobs/${d512}`],
        [
            "a path as a manifest reference",
            () => manifestUrl(repo, "../../../victim/app/manifests/9.9.9"),
            new Error(
                `invalid manifest reference "../../../victim/app/manifests/9.9.9" for ${repo.name}: neither a tag nor a digest (${FORMS})`,
            ),
        ],
        [
            "a tag as a blob digest",
            () => blobUrl(repo, "latest"),
            new Error(`invalid digest "latest" for ${repo.name}: must be ${FORMS}`),
        ],
        [
            "63 hex digits",
            () => referrersUrl(repo, `sha256:${"a".repeat(63)}`),
            new Error(`invalid digest "sha256:${"a".repeat(63)}" for ${repo.name}: must be ${FORMS}`),
        ],
        ["'..' as a segment", () => pathSegment(".."), new Error('".." cannot be a URL path segment')],
        ["'/', '?' and '#' in a segment", () => pathSegment("a/b?c#d"), "a%2Fb%3Fc%23d"],
        ["an encoded '..' stays data", () => pathSegment("%2e%2e"), "%252e%252e"],
        ["escape sequences", () => printable("\u001b[31mred\u001b[0m \u001b]0;title\u0007ok"), "red ok"],
        ["line breaks and tabs", () => printable("a\r\nb\tc"), "a b c"],
        ["C1, bidi and line separators", () => printable("x\u202ey\u2028z\u0085\u009b"), "xyz"],
        ["a URL's credentials", () => redactUrl("https://user:pw@host/x"), "https://<redacted>@host/x"],
        ["user:password@host", () => redactUrl("user:pw@host:5000"), "<redacted>@host:5000"],
        ["an '@' in a path is not a credential", () => redactUrl("https://host/a@b"), "https://host/a@b"],
    ];
    for (const [name, fn, want] of rows) {
        it(name, () => {
            if (want instanceof Error)
                assert.throws(fn, (e: unknown) => (e as Error).message === want.message);
            else assert.strictEqual(fn(), want);
        });
    }
});

describe("the attestation cap fits a file-level SPDX of a 100,000-file ML image (issue 16, 4)", () => {
    it("~115 MiB as a DSSE envelope: over 64 MiB, under ATTESTATION_LIMIT", () => {
        // 1,000 files in syft's SPDX 2.3 shape, with the long paths of a CUDA/PyTorch image; x100.
        const files = Array.from({ length: 1000 }, (_, i) => {
            const name = `/opt/conda/lib/python3.11/site-packages/torch/include/ATen/ops/_foreach_op_${i}_cuda_dispatch.h`;
            const id = `SPDXRef-File-${name.slice(1).replace(/[^A-Za-z0-9.-]/g, "-")}-${i.toString(16).padStart(16, "0")}`;
            return {
                file: {
                    fileName: name,
                    SPDXID: id,
                    fileTypes: ["TEXT"],
                    checksums: [
                        { algorithm: "SHA1", checksumValue: "1".repeat(40) },
                        { algorithm: "SHA256", checksumValue: "2".repeat(64) },
                    ],
                    licenseConcluded: "NOASSERTION",
                    licenseInfoInFiles: ["NOASSERTION"],
                    copyrightText: "NOASSERTION",
                    comment: `layerID: sha256:${"3".repeat(64)}`,
                },
                relationship: {
                    spdxElementId: "SPDXRef-Package-python-torch-2.3.1-0123456789abcdef",
                    relatedSpdxElement: id,
                    relationshipType: "CONTAINS",
                },
            };
        });
        const statement = JSON.stringify({
            _type: "https://in-toto.io/Statement/v1",
            subject: [{ name: "registry.example/ml/trainer", digest: { sha256: "4".repeat(64) } }],
            predicateType: "https://spdx.dev/Document/v2.3",
            predicate: { files: files.map((f) => f.file), relationships: files.map((f) => f.relationship) },
        });
        const envelope = JSON.stringify({
            payloadType: "application/vnd.in-toto+json",
            payload: Buffer.from(statement).toString("base64"),
            signatures: [{ sig: "5".repeat(96) }],
        });
        const perThousand = Buffer.byteLength(envelope);
        const forHundredThousand = perThousand * 100;
        assert.ok(forHundredThousand > 64 * MiB, `${forHundredThousand} bytes`);
        assert.ok(forHundredThousand < ATTESTATION_LIMIT.bytes, `${forHundredThousand} bytes`);
    });
});
