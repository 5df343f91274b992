import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    RegistryAuthError,
    parseWwwAuthenticate,
    readDockerConfigCredential,
    registryBaseUrl,
} from "../../src/registry";

describe("parseWwwAuthenticate", () => {
    const rows: [string, { scheme: string; params: Record<string, string> }][] = [
        [
            'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"',
            {
                scheme: "bearer",
                params: {
                    realm: "https://auth.example.com/token",
                    service: "registry.example.com",
                    scope: "repository:a/b:pull",
                },
            },
        ],
        [
            'Bearer realm="http://127.0.0.1:9/token", service="test", scope="repository:a/b:pull,push"',
            {
                scheme: "bearer",
                params: {
                    realm: "http://127.0.0.1:9/token",
                    service: "test",
                    scope: "repository:a/b:pull,push",
                },
            },
        ],
        ['Basic realm="Registry Realm"', { scheme: "basic", params: { realm: "Registry Realm" } }],
        [
            "Bearer realm=http://x/token,service=svc",
            { scheme: "bearer", params: { realm: "http://x/token", service: "svc" } },
        ],
        [
            'Bearer realm="a\\"b",error="insufficient_scope"',
            { scheme: "bearer", params: { realm: 'a"b', error: "insufficient_scope" } },
        ],
        ["", { scheme: "", params: {} }],
    ];
    for (const [header, want] of rows) {
        it(`parses ${JSON.stringify(header)}`, () =>
            assert.deepStrictEqual(parseWwwAuthenticate(header), want));
    }
});

describe("readDockerConfigCredential", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-auth-"));
    const file = path.join(dir, "config.json");
    fs.writeFileSync(
        file,
        JSON.stringify({
            auths: {
                "127.0.0.1:5001": { auth: Buffer.from("imagerelease:pa:ss").toString("base64") },
                "https://ghcr.io": { username: "u", password: "p" },
                "https://index.docker.io/v1/": { auth: Buffer.from("hub:secret").toString("base64") },
            },
        }),
    );
    const rows: [string, string, { username: string; password: string } | undefined][] = [
        ["127.0.0.1:5001", file, { username: "imagerelease", password: "pa:ss" }],
        ["ghcr.io", file, { username: "u", password: "p" }],
        ["docker.io", file, { username: "hub", password: "secret" }],
        ["quay.io", file, undefined],
        ["127.0.0.1:5001", path.join(dir, "missing.json"), undefined],
    ];
    for (const [registry, f, want] of rows) {
        it(`${registry} from ${path.basename(f)}`, () =>
            assert.deepStrictEqual(readDockerConfigCredential(registry, f), want));
    }
});

describe("registryBaseUrl", () => {
    const rows: [string, string][] = [
        ["127.0.0.1:5000", "http://127.0.0.1:5000"],
        ["127.1.2.3:80", "http://127.1.2.3:80"],
        ["localhost:5000", "http://localhost:5000"],
        ["[::1]:5000", "http://[::1]:5000"],
        ["ghcr.io", "https://ghcr.io"],
        ["128.0.0.1:5000", "https://128.0.0.1:5000"],
        ["docker.io", "https://registry-1.docker.io"],
    ];
    for (const [registry, want] of rows)
        it(`${registry} -> ${want}`, () => assert.strictEqual(registryBaseUrl(registry), want));
});

describe("RegistryAuthError", () => {
    it("names registry, scope and status and nothing else", () => {
        assert.strictEqual(
            new RegistryAuthError("ghcr.io", "repository:a/b:pull", 403).message,
            'authentication failed for ghcr.io (scope "repository:a/b:pull"): 403 Forbidden',
        );
    });
});
