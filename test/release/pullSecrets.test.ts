import * as assert from "assert";
import {
    dockerConfigJson,
    registryHostProblem,
    registryKey,
    withPullSecret,
    WORKLOAD_KINDS,
    withValueAt,
} from "../../src/release";

const HOST_EXAMPLE = "expected a registry host[:port] such as 127.0.0.1:5001 or ghcr.io";
const D = "sha256:" + "1".repeat(64);

describe("release/pullSecrets: registry hosts", () => {
    const rows: [string, string | undefined, string | undefined][] = [
        ["127.0.0.1:5001", "127.0.0.1:5001", undefined],
        ["ghcr.io", "ghcr.io", undefined],
        ["GHCR.io", "ghcr.io", undefined],
        ["localhost", "localhost", undefined],
        ["localhost:5000", "localhost:5000", undefined],
        ["[::1]:5000", "[::1]:5000", undefined],
        ["docker.io", "docker.io", undefined],
        ["index.docker.io", "docker.io", undefined],
        [
            "registry",
            undefined,
            `${HOST_EXAMPLE}; an image named registry/app is on Docker Hub, so a host needs a "." or a ":port"`,
        ],
        ["https://ghcr.io", undefined, `${HOST_EXAMPLE}, without a scheme, path or credentials`],
        ["ghcr.io/org", undefined, `${HOST_EXAMPLE}, without a scheme, path or credentials`],
        ["u:p@ghcr.io", undefined, `${HOST_EXAMPLE}, without a scheme, path or credentials`],
        ["host:port", undefined, HOST_EXAMPLE],
        ["", undefined, HOST_EXAMPLE],
        ["bad host", undefined, HOST_EXAMPLE],
    ];
    for (const [host, key, problem] of rows) {
        it(`${JSON.stringify(host)} -> ${key ?? problem}`, () => {
            assert.strictEqual(registryKey(host), key);
            assert.strictEqual(registryHostProblem(host), problem);
        });
    }
});

describe("release/pullSecrets: dockerConfigJson (the .dockerconfigjson of a pull Secret)", () => {
    it("one registry: exact bytes, auth = base64(username:password)", () => {
        assert.strictEqual(
            dockerConfigJson({
                "127.0.0.1:5001": { username: "imagerelease", password: "local-only-password" },
            }),
            '{"auths":{"127.0.0.1:5001":{"username":"imagerelease","password":"local-only-password","auth":"aW1hZ2VyZWxlYXNlOmxvY2FsLW9ubHktcGFzc3dvcmQ="}}}',
        );
    });

    it("several registries in sorted order (the same credentials, the same bytes); UTF-8 and quotes escaped", () => {
        const text = dockerConfigJson({
            "z.example.com": { username: "z", password: 'p"ä:' },
            "a.example.com": { username: "a", password: "b" },
        });
        assert.strictEqual(
            text,
            '{"auths":{"a.example.com":{"username":"a","password":"b","auth":"YTpi"},"z.example.com":{"username":"z","password":"p\\"ä:","auth":"ejpwIsOkOg=="}}}',
        );
        assert.strictEqual(Buffer.from("ejpwIsOkOg==", "base64").toString("utf8"), 'z:p"ä:');
    });
});

describe("release/pullSecrets: withPullSecret on every workload kind", () => {
    const REF = { name: "image-release-pull", registries: ["127.0.0.1:5001"] };
    const podSpec = (spec: Record<string, unknown>) => spec;
    for (const kind of WORKLOAD_KINDS) {
        const at = (spec: unknown) => withValueAt({ metadata: { name: "w" } }, kind.podSpecPath, spec);
        const rows: [string, unknown, unknown][] = [
            [
                "a container from the registry gets the reference",
                podSpec({ containers: [{ name: "app", image: `127.0.0.1:5001/team/app@${D}` }] }),
                {
                    containers: [{ name: "app", image: `127.0.0.1:5001/team/app@${D}` }],
                    imagePullSecrets: [{ name: "image-release-pull" }],
                },
            ],
            [
                "an init container from the registry is enough; existing references are kept, first",
                podSpec({
                    initContainers: [{ name: "migrate", image: "127.0.0.1:5001/team/app:1.0" }],
                    containers: [{ name: "app", image: "busybox" }],
                    imagePullSecrets: [{ name: "other" }],
                }),
                {
                    initContainers: [{ name: "migrate", image: "127.0.0.1:5001/team/app:1.0" }],
                    containers: [{ name: "app", image: "busybox" }],
                    imagePullSecrets: [{ name: "other" }, { name: "image-release-pull" }],
                },
            ],
            [
                "already referenced: unchanged (never twice)",
                podSpec({
                    containers: [{ name: "app", image: "127.0.0.1:5001/team/app" }],
                    imagePullSecrets: [{ name: "image-release-pull" }],
                }),
                undefined,
            ],
            [
                "images of other registries only (5000 is not 5001): unchanged",
                podSpec({ containers: [{ name: "app", image: "127.0.0.1:5000/team/app" }] }),
                undefined,
            ],
            [
                "an image not known yet (a preview's unknown): unchanged",
                podSpec({ containers: [{ name: "app", image: undefined }] }),
                undefined,
            ],
        ];
        for (const [what, spec, want] of rows) {
            it(`${kind.kind} (${kind.podSpecPath.join(".")}): ${what}`, () => {
                const got = withPullSecret(kind, at(spec), REF);
                assert.deepStrictEqual(got, want === undefined ? undefined : at(want));
            });
        }
    }

    it("registries compare as references name them: case and Docker Hub's aliases", () => {
        const [deployment] = WORKLOAD_KINDS;
        const props = (image: string) => ({ spec: { template: { spec: { containers: [{ image }] } } } });
        const hub = { name: "hub", registries: ["index.docker.io"] };
        assert.deepStrictEqual(withPullSecret(deployment, props("nginx:1.25"), hub), {
            spec: {
                template: {
                    spec: { containers: [{ image: "nginx:1.25" }], imagePullSecrets: [{ name: "hub" }] },
                },
            },
        });
        const upper = { name: "s", registries: ["GHCR.io"] };
        assert.notStrictEqual(withPullSecret(deployment, props("ghcr.io/org/app"), upper), undefined);
        assert.strictEqual(withPullSecret(deployment, props("Not A Reference"), upper), undefined);
    });
});
