import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    RegistryAuthError,
    RegistryClient,
    parseWwwAuthenticate,
    readDockerConfigCredential,
    registryBaseUrl,
} from "../../src/registry";
import { AUTH_CREDS, LOCAL_AUTH } from "../fixtures/registry/testImage";

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

describe("docker credential helpers (credHelpers, credsStore)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-credhelper-"));
    // A real helper on PATH speaking the protocol: server URL on stdin, JSON on stdout.
    const helper = path.join(dir, "docker-credential-fake");
    fs.writeFileSync(
        helper,
        [
            "#!/bin/sh",
            "read host",
            'case "$host" in',
            `  127.0.0.1:5001) printf '{"ServerURL":"%s","Username":"${AUTH_CREDS.username}","Secret":"${AUTH_CREDS.password}"}' "$host";;`,
            `  ghcr.io) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}' "$host";;`,
            `  token.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh"}' "$host";;`,
            '  *) echo "credentials not found in native keychain"; exit 1;;',
            "esac",
            "",
        ].join("\n"),
    );
    fs.chmodSync(helper, 0o755);
    const config = (name: string, body: object) => {
        const f = path.join(dir, name);
        fs.writeFileSync(f, JSON.stringify(body));
        return f;
    };
    const helpers = config("helpers.json", {
        credHelpers: { "127.0.0.1:5001": "fake", "ghcr.io": "fake", "quay.io": "absent" },
        auths: { "ghcr.io": { username: "inline", password: "inline" } },
    });
    const store = config("store.json", {
        credsStore: "fake",
        auths: { "127.0.0.1:5001": {}, "docker.example": { username: "inline", password: "pw" } },
    });
    let savedPath: string | undefined;
    before(() => {
        savedPath = process.env.PATH;
        process.env.PATH = `${dir}:${savedPath ?? ""}`;
    });
    after(() => {
        process.env.PATH = savedPath;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const rows: [string, string, string, { username: string; password: string } | undefined][] = [
        ["credHelpers entry", "127.0.0.1:5001", helpers, AUTH_CREDS],
        [
            "credHelpers wins over auths",
            "ghcr.io",
            helpers,
            { username: "helper-user", password: "helper-secret" },
        ],
        ["credHelpers names a helper that is not installed", "quay.io", helpers, undefined],
        ["credsStore for a host with an empty auths entry", "127.0.0.1:5001", store, AUTH_CREDS],
        ["inline auths win over credsStore", "docker.example", store, { username: "inline", password: "pw" }],
        ["credsStore has nothing for the host", "registry.example", store, undefined],
        ["an identity token is not a password", "token.example", store, undefined],
    ];
    for (const [name, registry, file, want] of rows) {
        it(`${name}: ${registry}`, () =>
            assert.deepStrictEqual(readDockerConfigCredential(registry, file), want));
    }

    it("authenticates to the real 5001 registry through the helper; without it, 401", async () => {
        const client = new RegistryClient({ dockerConfigPath: store });
        assert.strictEqual(await client.ping(LOCAL_AUTH), 200);
        const anonymous = new RegistryClient({ dockerConfigPath: config("none.json", {}) });
        assert.strictEqual(await anonymous.ping(LOCAL_AUTH), 401);
    });
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
