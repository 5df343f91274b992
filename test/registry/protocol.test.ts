import * as assert from "assert";
import {
    BlobNotFoundError,
    MANIFEST_ACCEPT,
    ManifestNotFoundError,
    OCI_MANIFEST,
    RegistryAuthError,
    RegistryClient,
    RegistryError,
    RegistryProtocolError,
    RegistryUnavailableError,
    sha256Digest,
} from "../../src/registry";
import { Exchange, StubRegistry } from "../fixtures/registry/stub";

/*
 * The protocol's status codes and malformed replies, each row against registries of its own played
 * from a script (test/fixtures/registry/stub.ts) that checks the method, path, query and headers of
 * every request. No live registry; no row depends on another.
 */

const CREDS = { username: "stub-user", password: "stub-pass" };
const BASIC = `Basic ${Buffer.from("stub-user:stub-pass").toString("base64")}`;
const PATH = "team/app";
const MANIFEST = Buffer.from(
    JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: {
            mediaType: "application/vnd.oci.image.config.v1+json",
            digest: `sha256:${"c".repeat(64)}`,
            size: 2,
        },
        layers: [],
    }),
);
const MD = sha256Digest(MANIFEST);
const BLOB = Buffer.from("one blob\n");
const BD = sha256Digest(BLOB);
const OTHER = `sha256:${"0".repeat(64)}`;

const manifestPath = (ref: string): string => `/v2/${PATH}/manifests/${ref}`;
const blobPath = `/v2/${PATH}/blobs/${BD}`;
const json = (o: unknown): string => JSON.stringify(o);
const errorsBody = (...errors: { code: string; message: string; detail?: unknown }[]): string =>
    json({ errors });
const manifestReply = {
    headers: {
        "Content-Type": OCI_MANIFEST,
        "Docker-Content-Digest": MD,
        "Content-Length": String(MANIFEST.length),
    },
    body: MANIFEST,
};
const bearerChallenge = (s: StubRegistry, scope: string): Exchange["reply"] => ({
    headers: { "WWW-Authenticate": `Bearer realm="${s.origin}/token",service="stub",scope="${scope}"` },
});
const basicChallenge = { headers: { "WWW-Authenticate": 'Basic realm="stub"' } };

interface Row {
    name: string;
    /** Registries the row needs; the client holds credentials for the first one only. */
    stubs?: number;
    script: (s: StubRegistry[]) => Exchange[][];
    run: (client: RegistryClient, s: StubRegistry[]) => Promise<void>;
}

/** The error is a `type` whose fields (message, status, method, url, errors, temporary...) are exactly `want`. */
async function rejects(
    p: Promise<unknown>,
    type: new (...args: never[]) => RegistryError,
    want: Record<string, unknown>,
): Promise<void> {
    await assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof type, `${String(e)} is not a ${type.name}`);
        const got = Object.fromEntries(
            Object.keys(want).map((k) => [k, (e as unknown as Record<string, unknown>)[k]]),
        );
        assert.deepStrictEqual(got, want);
        return true;
    });
}

const rows: Row[] = [
    {
        name: "401 then 200: a Bearer challenge, a token for its scope, the request again with it",
        script: ([s]) => [
            [
                {
                    method: "GET",
                    path: manifestPath("1.0.0"),
                    headers: { authorization: undefined, accept: MANIFEST_ACCEPT },
                    status: 401,
                    reply: bearerChallenge(s, `repository:${PATH}:pull`),
                },
                {
                    method: "GET",
                    path: "/token",
                    query: { service: "stub", scope: `repository:${PATH}:pull` },
                    headers: { authorization: BASIC },
                    status: 200,
                    reply: { body: json({ token: "tok-1", expires_in: 300 }) },
                },
                {
                    method: "GET",
                    path: manifestPath("1.0.0"),
                    headers: { authorization: "Bearer tok-1" },
                    status: 200,
                    reply: manifestReply,
                },
                // The token goes up front from now on: no second challenge, no second token.
                {
                    method: "HEAD",
                    path: manifestPath("1.0.0"),
                    headers: { authorization: "Bearer tok-1" },
                    status: 200,
                    reply: manifestReply,
                },
            ],
        ],
        run: async (client, [s]) => {
            assert.strictEqual((await client.getManifest(`${s.registry}/${PATH}`, "1.0.0")).digest, MD);
            assert.deepStrictEqual(await client.headManifest(`${s.registry}/${PATH}`, "1.0.0"), {
                mediaType: OCI_MANIFEST,
                digest: MD,
                size: MANIFEST.length,
            });
        },
    },
    {
        name: "401 then 200: a Basic challenge, then Basic up front",
        script: () => [
            [
                {
                    method: "HEAD",
                    path: blobPath,
                    headers: { authorization: undefined },
                    status: 401,
                    reply: basicChallenge,
                },
                { method: "HEAD", path: blobPath, headers: { authorization: BASIC }, status: 200 },
                {
                    method: "GET",
                    path: blobPath,
                    headers: { authorization: BASIC },
                    status: 200,
                    reply: { body: BLOB },
                },
            ],
        ],
        run: async (client, [s]) => {
            assert.strictEqual(await client.hasBlob(`${s.registry}/${PATH}`, BD), true);
            assert.ok((await client.getBlob(`${s.registry}/${PATH}`, BD)).equals(BLOB));
        },
    },
    {
        name: "401 with the token too: RegistryAuthError with the reply's status, method, URL and errors[]",
        script: ([s]) => [
            [
                {
                    method: "GET",
                    path: manifestPath("1.0.0"),
                    status: 401,
                    reply: bearerChallenge(s, `repository:${PATH}:pull`),
                },
                {
                    method: "GET",
                    path: "/token",
                    query: { service: "stub", scope: `repository:${PATH}:pull` },
                    status: 200,
                    reply: { body: json({ access_token: "tok-2" }) },
                },
                {
                    method: "GET",
                    path: manifestPath("1.0.0"),
                    headers: { authorization: "Bearer tok-2" },
                    status: 401,
                    reply: { body: errorsBody({ code: "UNAUTHORIZED", message: "authentication required" }) },
                },
            ],
        ],
        run: async (client, [s]) => {
            await rejects(client.getManifest(`${s.registry}/${PATH}`, "1.0.0"), RegistryAuthError, {
                message: `authentication failed for ${s.registry} (scope "repository:${PATH}:pull"): 401 Unauthorized`,
                status: 401,
                method: "GET",
                url: `${s.origin}${manifestPath("1.0.0")}`,
                errors: [{ code: "UNAUTHORIZED", message: "authentication required" }],
                temporary: false,
            });
        },
    },
    {
        name: "403 on a write: RegistryAuthError with the push scope and DENIED",
        script: ([s]) => [
            [
                {
                    method: "PUT",
                    path: manifestPath("1.0.0"),
                    status: 401,
                    reply: bearerChallenge(s, `repository:${PATH}:pull,push`),
                },
                {
                    method: "GET",
                    path: "/token",
                    query: { service: "stub", scope: `repository:${PATH}:pull,push` },
                    status: 200,
                    reply: { body: json({ token: "tok-3" }) },
                },
                {
                    method: "PUT",
                    path: manifestPath("1.0.0"),
                    headers: { authorization: "Bearer tok-3", "content-type": OCI_MANIFEST },
                    status: 403,
                    reply: {
                        body: errorsBody({
                            code: "DENIED",
                            message: "requested access to the resource is denied",
                        }),
                    },
                },
            ],
        ],
        run: async (client, [s]) => {
            await rejects(
                client.putManifest(`${s.registry}/${PATH}`, "1.0.0", MANIFEST, OCI_MANIFEST),
                RegistryAuthError,
                {
                    message: `authentication failed for ${s.registry} (scope "repository:${PATH}:pull,push"): 403 Forbidden`,
                    status: 403,
                    method: "PUT",
                    errors: [{ code: "DENIED", message: "requested access to the resource is denied" }],
                },
            );
        },
    },
    {
        name: "404 for a blob: BlobNotFoundError, with its own message",
        script: () => [
            [
                {
                    method: "GET",
                    path: blobPath,
                    status: 404,
                    reply: {
                        body: errorsBody({
                            code: "BLOB_UNKNOWN",
                            message: "blob unknown to registry",
                            detail: BD,
                        }),
                    },
                },
            ],
        ],
        run: async (client, [s]) => {
            await rejects(client.getBlob(`${s.registry}/${PATH}`, BD), BlobNotFoundError, {
                message: `blob ${BD} not found in repo ${s.registry}/${PATH}`,
                status: 404,
                method: "GET",
                url: `${s.origin}${blobPath}`,
                errors: [{ code: "BLOB_UNKNOWN", message: "blob unknown to registry", detail: BD }],
                temporary: false,
                repository: `${s.registry}/${PATH}`,
                digest: BD,
            });
        },
    },
    {
        name: "404 for a blob streamed by copyBlob: BlobNotFoundError too; the target is only asked for a session",
        stubs: 2,
        script: () => [
            [
                {
                    method: "GET",
                    path: blobPath,
                    status: 404,
                    reply: { body: errorsBody({ code: "BLOB_UNKNOWN", message: "blob unknown" }) },
                },
            ],
            [
                {
                    method: "POST",
                    path: "/v2/team/copy/blobs/uploads/",
                    status: 202,
                    reply: { headers: { Location: "/upload/1" } },
                },
            ],
        ],
        run: async (client, [from, to]) => {
            await rejects(
                client.copyBlob(`${from.registry}/${PATH}`, `${to.registry}/team/copy`, {
                    digest: BD,
                    size: BLOB.length,
                }),
                BlobNotFoundError,
                {
                    message: `blob ${BD} not found in repo ${from.registry}/${PATH}`,
                    status: 404,
                    method: "GET",
                    url: `${from.origin}${blobPath}`,
                    errors: [{ code: "BLOB_UNKNOWN", message: "blob unknown" }],
                },
            );
        },
    },
    {
        name: "404 for a manifest: ManifestNotFoundError, with its own message",
        script: () => [
            [
                {
                    method: "GET",
                    path: manifestPath(MD),
                    status: 404,
                    reply: { body: errorsBody({ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }) },
                },
            ],
        ],
        run: async (client, [s]) => {
            await rejects(client.getManifest(`${s.registry}/${PATH}`, MD), ManifestNotFoundError, {
                message: `digest ${MD} not found in repo ${s.registry}/${PATH}`,
                status: 404,
                method: "GET",
                url: `${s.origin}${manifestPath(MD)}`,
                errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }],
            });
        },
    },
    {
        name: "404 on the HEAD of a tag: absent, not an error",
        script: () => [[{ method: "HEAD", path: manifestPath("9.9.9"), status: 404 }]],
        run: async (client, [s]) => {
            assert.strictEqual(await client.headManifest(`${s.registry}/${PATH}`, "9.9.9"), undefined);
        },
    },
    {
        name: "503 twice, then 200: the same request again",
        script: () => [
            [
                { method: "HEAD", path: manifestPath("1.0.0"), status: 503 },
                { method: "HEAD", path: manifestPath("1.0.0"), status: 503 },
                { method: "HEAD", path: manifestPath("1.0.0"), status: 200, reply: manifestReply },
            ],
        ],
        run: async (client, [s]) => {
            assert.strictEqual((await client.headManifest(`${s.registry}/${PATH}`, "1.0.0"))?.digest, MD);
            assert.strictEqual(s.seen.length, 3);
        },
    },
    {
        name: "503 on every attempt: RegistryUnavailableError after exactly the attempts, with the last reply",
        script: () => [
            Array.from({ length: 3 }, () => ({
                method: "GET",
                path: manifestPath("1.0.0"),
                status: 503,
                reply: { body: errorsBody({ code: "UNAVAILABLE", message: "try again later" }) },
            })),
        ],
        run: async (client, [s]) => {
            await rejects(client.getManifest(`${s.registry}/${PATH}`, "1.0.0"), RegistryUnavailableError, {
                message: `registry ${s.registry} unreachable after 3 attempts: 503 Service Unavailable`,
                status: 503,
                method: "GET",
                url: `${s.origin}${manifestPath("1.0.0")}`,
                errors: [{ code: "UNAVAILABLE", message: "try again later" }],
                temporary: true,
            });
            assert.strictEqual(s.seen.length, 3);
        },
    },
    {
        name: "an upload refused with a temporary code (400 BLOB_UPLOAD_INVALID) starts over in a new session",
        script: () => [
            [
                { method: "HEAD", path: blobPath, status: 404 },
                {
                    method: "POST",
                    path: `/v2/${PATH}/blobs/uploads/`,
                    status: 202,
                    reply: { headers: { Location: "/upload/1" } },
                },
                {
                    method: "PUT",
                    path: "/upload/1",
                    query: { digest: BD },
                    headers: {
                        "content-length": String(BLOB.length),
                        "content-type": "application/octet-stream",
                    },
                    status: 400,
                    reply: {
                        body: errorsBody({ code: "BLOB_UPLOAD_INVALID", message: "blob upload invalid" }),
                    },
                },
                {
                    method: "POST",
                    path: `/v2/${PATH}/blobs/uploads/`,
                    status: 202,
                    reply: { headers: { Location: "/upload/2" } },
                },
                { method: "PUT", path: "/upload/2", query: { digest: BD }, status: 201 },
            ],
        ],
        run: async (client, [s]) => {
            assert.deepStrictEqual(await client.pushBlob(`${s.registry}/${PATH}`, BLOB), {
                digest: BD,
                uploaded: true,
            });
        },
    },
    {
        name: "an upload refused with a permanent code: RegistryProtocolError quoting the body, no second try",
        script: () => [
            [
                { method: "HEAD", path: blobPath, status: 404 },
                {
                    method: "POST",
                    path: `/v2/${PATH}/blobs/uploads/`,
                    status: 202,
                    reply: { headers: { Location: "/upload/1?_state=x" } },
                },
                {
                    method: "PUT",
                    path: "/upload/1",
                    query: { _state: "x", digest: BD },
                    status: 400,
                    reply: {
                        body: errorsBody({
                            code: "DIGEST_INVALID",
                            message: "provided digest did not match uploaded content",
                        }),
                    },
                },
            ],
        ],
        run: async (client, [s]) => {
            const body = errorsBody({
                code: "DIGEST_INVALID",
                message: "provided digest did not match uploaded content",
            });
            await rejects(client.pushBlob(`${s.registry}/${PATH}`, BLOB), RegistryProtocolError, {
                message: `uploading blob ${BD} to ${s.registry}/${PATH} answered 400 Bad Request: ${body}`,
                status: 400,
                method: "PUT",
                url: `${s.origin}/upload/1?_state=x&digest=${encodeURIComponent(BD)}`,
                errors: [
                    { code: "DIGEST_INVALID", message: "provided digest did not match uploaded content" },
                ],
                temporary: false,
            });
        },
    },
    {
        name: "errors[] of a refused manifest PUT surface in the error, code, message and detail",
        script: () => [
            [
                {
                    method: "PUT",
                    path: manifestPath("1.0.0"),
                    status: 400,
                    reply: {
                        body: errorsBody(
                            {
                                code: "MANIFEST_INVALID",
                                message: "manifest invalid",
                                detail: { reason: "bad layer" },
                            },
                            {
                                code: "MANIFEST_BLOB_UNKNOWN",
                                message: "blob unknown to registry",
                                detail: OTHER,
                            },
                        ),
                    },
                },
            ],
        ],
        run: async (client, [s]) => {
            const body = errorsBody(
                { code: "MANIFEST_INVALID", message: "manifest invalid", detail: { reason: "bad layer" } },
                { code: "MANIFEST_BLOB_UNKNOWN", message: "blob unknown to registry", detail: OTHER },
            );
            await rejects(
                client.putManifest(`${s.registry}/${PATH}`, "1.0.0", MANIFEST, OCI_MANIFEST),
                RegistryProtocolError,
                {
                    message: `PUT manifest 1.0.0 in ${s.registry}/${PATH} answered 400 Bad Request: ${body}`,
                    status: 400,
                    method: "PUT",
                    url: `${s.origin}${manifestPath("1.0.0")}`,
                    errors: [
                        {
                            code: "MANIFEST_INVALID",
                            message: "manifest invalid",
                            detail: { reason: "bad layer" },
                        },
                        { code: "MANIFEST_BLOB_UNKNOWN", message: "blob unknown to registry", detail: OTHER },
                    ],
                    temporary: false,
                },
            );
        },
    },
    {
        name: "a refusal whose body is not an errors[] document (HTML from a proxy) has no diagnostics",
        script: () => [
            [
                {
                    method: "GET",
                    path: `/v2/${PATH}/tags/list`,
                    query: { n: "1000" },
                    status: 400,
                    reply: { headers: { "Content-Type": "text/html" }, body: "<html>bad request</html>" },
                },
            ],
        ],
        run: async (client, [s]) => {
            await rejects(client.listTags(`${s.registry}/${PATH}`), RegistryProtocolError, {
                message: `listing tags of ${s.registry}/${PATH} answered 400 Bad Request`,
                status: 400,
                method: "GET",
                errors: [],
                temporary: false,
            });
        },
    },
    {
        name: "a PUT answered with another Docker-Content-Digest: the registry stored something else",
        script: () => [
            [
                {
                    method: "PUT",
                    path: manifestPath("1.0.0"),
                    headers: { "content-type": OCI_MANIFEST },
                    status: 201,
                    reply: { headers: { "Docker-Content-Digest": OTHER } },
                },
            ],
        ],
        run: async (client, [s]) => {
            await rejects(
                client.putManifest(`${s.registry}/${PATH}`, "1.0.0", MANIFEST, OCI_MANIFEST),
                RegistryProtocolError,
                {
                    message: `PUT manifest 1.0.0 in ${s.registry}/${PATH}: registry stored ${OTHER}, expected ${MD}`,
                    status: 201,
                    method: "PUT",
                },
            );
        },
    },
    {
        name: "a HEAD with no Docker-Content-Digest",
        script: () => [
            [
                {
                    method: "HEAD",
                    path: manifestPath("1.0.0"),
                    status: 200,
                    reply: { headers: { "Content-Type": OCI_MANIFEST } },
                },
            ],
        ],
        run: async (client, [s]) => {
            await rejects(client.headManifest(`${s.registry}/${PATH}`, "1.0.0"), RegistryProtocolError, {
                message: `HEAD manifest 1.0.0 in ${s.registry}/${PATH} gave no Docker-Content-Digest`,
                status: 200,
                method: "HEAD",
            });
        },
    },
    {
        name: "a manifest by digest whose bytes hash to another digest",
        script: () => [[{ method: "GET", path: manifestPath(OTHER), status: 200, reply: manifestReply }]],
        run: async (client, [s]) => {
            await rejects(client.getManifest(`${s.registry}/${PATH}`, OTHER), RegistryProtocolError, {
                message: `manifest ${OTHER} in ${s.registry}/${PATH} has content digest ${MD}`,
                status: 200,
                method: "GET",
            });
        },
    },
    {
        name: "a redirect on the same origin keeps Authorization",
        script: () => [
            [
                {
                    method: "GET",
                    path: manifestPath("1.0.0"),
                    headers: { authorization: undefined },
                    status: 401,
                    reply: basicChallenge,
                },
                {
                    method: "GET",
                    path: manifestPath("1.0.0"),
                    headers: { authorization: BASIC },
                    status: 307,
                    reply: { headers: { Location: "/storage/manifest?sig=1" } },
                },
                {
                    method: "GET",
                    path: "/storage/manifest",
                    query: { sig: "1" },
                    headers: { authorization: BASIC },
                    status: 200,
                    reply: manifestReply,
                },
            ],
        ],
        run: async (client, [s]) => {
            assert.strictEqual((await client.getManifest(`${s.registry}/${PATH}`, "1.0.0")).digest, MD);
        },
    },
    {
        name: "a manifest PUT redirected (307) goes again with its method, body, type and Authorization",
        script: () => [
            [
                {
                    method: "PUT",
                    path: manifestPath("1.0.0"),
                    headers: { authorization: undefined, "content-type": OCI_MANIFEST },
                    body: MANIFEST.toString(),
                    status: 401,
                    reply: basicChallenge,
                },
                {
                    method: "PUT",
                    path: manifestPath("1.0.0"),
                    headers: { authorization: BASIC, "content-length": String(MANIFEST.length) },
                    body: MANIFEST.toString(),
                    status: 307,
                    reply: { headers: { Location: "/elsewhere/manifests/1.0.0" } },
                },
                {
                    method: "PUT",
                    path: "/elsewhere/manifests/1.0.0",
                    headers: { authorization: BASIC, "content-type": OCI_MANIFEST },
                    body: MANIFEST.toString(),
                    status: 201,
                    reply: { headers: { "Docker-Content-Digest": MD } },
                },
            ],
        ],
        run: async (client, [s]) => {
            assert.strictEqual(
                await client.putManifest(`${s.registry}/${PATH}`, "1.0.0", MANIFEST, OCI_MANIFEST),
                MD,
            );
        },
    },
    {
        name: "a redirect to another origin drops Authorization",
        stubs: 2,
        script: ([, storage]) => [
            [
                {
                    method: "GET",
                    path: manifestPath("1.0.0"),
                    headers: { authorization: undefined },
                    status: 401,
                    reply: basicChallenge,
                },
                {
                    method: "GET",
                    path: manifestPath("1.0.0"),
                    headers: { authorization: BASIC },
                    status: 307,
                    reply: { headers: { Location: `${storage.origin}/storage/manifest?sig=1` } },
                },
            ],
            [
                {
                    method: "GET",
                    path: "/storage/manifest",
                    query: { sig: "1" },
                    headers: { authorization: undefined },
                    status: 200,
                    reply: manifestReply,
                },
            ],
        ],
        run: async (client, [s]) => {
            assert.strictEqual((await client.getManifest(`${s.registry}/${PATH}`, "1.0.0")).digest, MD);
        },
    },
    {
        name: "a streamed blob redirected to another origin goes there without Authorization",
        stubs: 3,
        script: ([, storage]) => [
            [
                {
                    method: "GET",
                    path: blobPath,
                    headers: { authorization: undefined },
                    status: 401,
                    reply: basicChallenge,
                },
                {
                    method: "HEAD",
                    path: blobPath,
                    headers: { authorization: undefined },
                    status: 401,
                    reply: basicChallenge,
                },
                { method: "HEAD", path: blobPath, headers: { authorization: BASIC }, status: 200 },
                {
                    method: "GET",
                    path: blobPath,
                    headers: { authorization: BASIC },
                    status: 307,
                    reply: { headers: { Location: `${storage.origin}/bucket/blob?sig=x` } },
                },
            ],
            [
                {
                    method: "GET",
                    path: "/bucket/blob",
                    query: { sig: "x" },
                    headers: { authorization: undefined },
                    status: 200,
                    reply: { body: BLOB },
                },
            ],
            [
                {
                    method: "POST",
                    path: "/v2/team/copy/blobs/uploads/",
                    headers: { authorization: undefined },
                    status: 202,
                    reply: { headers: { Location: "/upload/1" } },
                },
                {
                    method: "PUT",
                    path: "/upload/1",
                    query: { digest: BD },
                    headers: { authorization: undefined },
                    status: 201,
                },
            ],
        ],
        run: async (client, [from, , to]) => {
            const n = await client.copyBlob(`${from.registry}/${PATH}`, `${to.registry}/team/copy`, {
                digest: BD,
                size: BLOB.length,
            });
            assert.strictEqual(n, BLOB.length);
        },
    },
    {
        name: "tags page by page, following Link with its query",
        script: () => [
            [
                {
                    method: "GET",
                    path: `/v2/${PATH}/tags/list`,
                    query: { n: "1000" },
                    status: 200,
                    reply: {
                        headers: { Link: `</v2/${PATH}/tags/list?n=1000&last=a>; rel="next"` },
                        body: json({ tags: ["a"] }),
                    },
                },
                {
                    method: "GET",
                    path: `/v2/${PATH}/tags/list`,
                    query: { n: "1000", last: "a" },
                    status: 200,
                    reply: { body: json({ tags: ["b"] }) },
                },
            ],
        ],
        run: async (client, [s]) => {
            assert.deepStrictEqual(await client.listTags(`${s.registry}/${PATH}`), ["a", "b"]);
        },
    },
    {
        name: "a mount answered 201 moves nothing; one answered 202 hands back its upload session",
        script: () => [
            [
                {
                    method: "POST",
                    path: `/v2/${PATH}/blobs/uploads/`,
                    query: { mount: BD, from: "team/base" },
                    // A bodiless POST says so with its length (node:http does, as fetch did): no chunked encoding.
                    headers: { "content-length": "0", "transfer-encoding": undefined },
                    body: "",
                    status: 201,
                    reply: { headers: { Location: blobPath } },
                },
                {
                    method: "POST",
                    path: `/v2/${PATH}/blobs/uploads/`,
                    query: { mount: BD, from: "team/base" },
                    status: 202,
                    reply: { headers: { Location: "/upload/7" } },
                },
            ],
        ],
        run: async (client, [s]) => {
            const mount = (): ReturnType<RegistryClient["mountBlob"]> =>
                client.mountBlob(`${s.registry}/${PATH}`, BD, `${s.registry}/team/base`);
            assert.deepStrictEqual(await mount(), { mounted: true });
            assert.deepStrictEqual(await mount(), { mounted: false, uploadUrl: `${s.origin}/upload/7` });
        },
    },
];

describe("registry protocol: status codes and malformed replies, one scripted registry per row", () => {
    for (const row of rows) {
        it(row.name, async () => {
            const stubs = await Promise.all(
                Array.from({ length: row.stubs ?? 1 }, () => StubRegistry.start()),
            );
            try {
                row.script(stubs).forEach((script, i) => stubs[i].expect(script));
                const client = new RegistryClient({
                    credentials: { [stubs[0].registry]: CREDS },
                    dockerConfigPath: "/nonexistent/config.json",
                    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
                });
                await row.run(client, stubs);
                for (const [i, s] of stubs.entries()) {
                    assert.deepStrictEqual(s.problems, [], `registry ${i} got requests it did not expect`);
                    assert.deepStrictEqual(s.unused(), [], `registry ${i} missed requests it expected`);
                }
            } finally {
                await Promise.all(stubs.map((s) => s.close()));
            }
        });
    }
});
