import * as assert from "assert";
import {
    BuildError,
    imageIndex,
    imageManifest,
    parsePlatform,
    Platform,
    platformKey,
    reproducibleConfig,
} from "../../src/builder";

// sha256("abc") and sha256("") are the textbook values, so the expected JSON below is independent of our code.
const ABC = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const EMPTY = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

describe("parsePlatform", () => {
    const ok: [string, Platform, string][] = [
        ["linux/amd64", { architecture: "amd64", os: "linux" }, "linux/amd64"],
        ["linux/arm64", { architecture: "arm64", os: "linux" }, "linux/arm64"],
        ["linux/arm64/v8", { architecture: "arm64", os: "linux" }, "linux/arm64"],
        ["linux/arm/v7", { architecture: "arm", os: "linux", variant: "v7" }, "linux/arm/v7"],
        ["linux/arm/v6", { architecture: "arm", os: "linux", variant: "v6" }, "linux/arm/v6"],
        ["linux/arm64/v9", { architecture: "arm64", os: "linux", variant: "v9" }, "linux/arm64/v9"],
        ["linux/s390x", { architecture: "s390x", os: "linux" }, "linux/s390x"],
        ["windows/amd64", { architecture: "amd64", os: "windows" }, "windows/amd64"],
    ];
    for (const [input, platform, key] of ok) {
        it(`${input} -> ${key}`, () => {
            assert.deepStrictEqual(parsePlatform(input), platform);
            assert.strictEqual(platformKey(parsePlatform(input)), key);
        });
    }

    const bad = [
        "",
        "linux",
        "linux/",
        "/amd64",
        "linux/amd64/v1/extra",
        "Linux/amd64",
        "linux/amd-64",
        "linux/arm64/",
        "linux/arm/V7",
        "linux amd64",
    ];
    const unknown: [string, string][] = [
        [
            "linux/s390",
            'platform "linux/s390" has unknown architecture "s390" (known: amd64, arm64, arm, 386, ppc64le, ppc64, s390x, riscv64, loong64, mips64le, mips64, mipsle, mips, wasm)',
        ],
        [
            "linx/amd64",
            'platform "linx/amd64" has unknown os "linx" (known: linux, windows, darwin, freebsd, netbsd, openbsd, solaris, illumos, aix)',
        ],
        [
            "linux/x86",
            'platform "linux/x86" has unknown architecture "x86" (known: amd64, arm64, arm, 386, ppc64le, ppc64, s390x, riscv64, loong64, mips64le, mips64, mipsle, mips, wasm)',
        ],
    ];
    for (const [input, message] of unknown) {
        it(`refuses ${input} by name`, () => {
            assert.throws(
                () => parsePlatform(input),
                (e: unknown) => e instanceof BuildError && e.message === message,
            );
        });
    }
    for (const input of bad) {
        it(`refuses ${JSON.stringify(input)}`, () => {
            assert.throws(
                () => parsePlatform(input),
                (e: unknown) =>
                    e instanceof BuildError &&
                    e.message === `platform "${input}" is not os/arch[/variant], e.g. linux/amd64`,
            );
        });
    }
});

describe("reproducibleConfig", () => {
    const engineConfig = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
        architecture: "amd64",
        os: "linux",
        created: "2031-05-06T07:08:09.123456789Z",
        container: "3f1c0ffee",
        container_config: { Hostname: "3f1c0ffee" },
        docker_version: "20.10.24",
        buildinfo: "eyJ9",
        moby: { buildkit: true },
        config: {
            Env: ["PATH=/bin"],
            Entrypoint: ["/hello"],
            Labels: { "org.opencontainers.image.version": "0.0.0-dockerfile", "from.dockerfile": "yes" },
            OnBuild: null,
        },
        rootfs: { type: "layers", diff_ids: ["sha256:engine"] },
        history: [
            { created: "2031-05-06T07:08:08Z", created_by: "COPY rootfs/amd64/hello /hello # buildkit" },
            { created: "2031-05-06T07:08:09Z", created_by: "RUN /hello", empty_layer: true },
        ],
        ...over,
    });
    const labels = {
        "org.opencontainers.image.version": "1.4.2",
        "org.opencontainers.image.revision": "0123abc",
    };

    it("writes exactly the OCI fields, epoch times, our labels over the Dockerfile's, our diff_ids; no created_by, no null run-config keys", () => {
        const out = reproducibleConfig(engineConfig(), {
            platform: { architecture: "amd64", os: "linux" },
            epochSeconds: 1700000000,
            labels,
            diffIds: [EMPTY],
        });
        assert.strictEqual(
            out.toString("utf8"),
            JSON.stringify({
                created: "2023-11-14T22:13:20Z",
                architecture: "amd64",
                os: "linux",
                config: {
                    Env: ["PATH=/bin"],
                    Entrypoint: ["/hello"],
                    Labels: {
                        "from.dockerfile": "yes",
                        "org.opencontainers.image.revision": "0123abc",
                        "org.opencontainers.image.version": "1.4.2",
                    },
                },
                rootfs: { type: "layers", diff_ids: [EMPTY] },
                // created_by is the builder's rendering of a step, which BuildKit versions differ on.
                history: [
                    { created: "2023-11-14T22:13:20Z" },
                    { created: "2023-11-14T22:13:20Z", empty_layer: true },
                ],
            }),
        );
    });

    it("gives the same bytes for two engine runs that differ only in times and host ids", () => {
        const o = {
            platform: { architecture: "amd64", os: "linux" },
            epochSeconds: 0,
            labels,
            diffIds: [EMPTY],
        };
        const a = reproducibleConfig(engineConfig(), o);
        const b = reproducibleConfig(
            engineConfig({
                created: "2040-01-01T00:00:00Z",
                container: "other",
                container_config: { Hostname: "other" },
                history: [
                    {
                        created: "2040-01-01T00:00:00Z",
                        created_by: "COPY rootfs/amd64/hello /hello # buildkit",
                    },
                    { created: "2040-01-01T00:00:01Z", created_by: "RUN /hello", empty_layer: true },
                ],
            }),
            o,
        );
        assert.strictEqual(a.toString(), b.toString());
        assert.strictEqual(JSON.parse(a.toString()).created, "1970-01-01T00:00:00Z");
    });

    it("drops the engine's arm64 variant v8 and keeps arm v7; no labels at all still writes Labels", () => {
        const arm64 = JSON.parse(
            reproducibleConfig(engineConfig({ architecture: "arm64", variant: "v8", config: {} }), {
                platform: parsePlatform("linux/arm64/v8"),
                epochSeconds: 1,
                labels: {},
                diffIds: [],
            }).toString(),
        ) as Record<string, unknown>;
        assert.deepStrictEqual(Object.keys(arm64), [
            "created",
            "architecture",
            "os",
            "config",
            "rootfs",
            "history",
        ]);
        assert.deepStrictEqual(arm64.config, { Labels: {} });
        assert.deepStrictEqual(arm64.rootfs, { type: "layers", diff_ids: [] });

        const armv7 = JSON.parse(
            reproducibleConfig(engineConfig({ architecture: "arm", history: undefined }), {
                platform: parsePlatform("linux/arm/v7"),
                epochSeconds: 1,
                labels: {},
                diffIds: [],
            }).toString(),
        ) as Record<string, unknown>;
        assert.strictEqual(armv7.variant, "v7");
        assert.strictEqual(armv7.created, "1970-01-01T00:00:01Z");
        assert.deepStrictEqual(armv7.history, []);
    });

    const mismatches: [Record<string, unknown>, string, string][] = [
        [
            { architecture: "arm64" },
            "linux/amd64",
            "the engine built linux/arm64 when linux/amd64 was asked for",
        ],
        [{ os: "windows" }, "linux/amd64", "the engine built windows/amd64 when linux/amd64 was asked for"],
        [{ architecture: "arm" }, "linux/arm64", "the engine built linux/arm when linux/arm64 was asked for"],
        [
            { architecture: undefined },
            "linux/amd64",
            "the engine built linux/undefined when linux/amd64 was asked for",
        ],
    ];
    for (const [over, platform, message] of mismatches) {
        it(`refuses an engine config that is not ${platform}: ${message}`, () => {
            assert.throws(
                () =>
                    reproducibleConfig(engineConfig(over), {
                        platform: parsePlatform(platform),
                        epochSeconds: 0,
                        labels: {},
                        diffIds: [],
                    }),
                (e: unknown) => e instanceof BuildError && e.message === message,
            );
        });
    }
});

describe("imageManifest and imageIndex", () => {
    it("writes the exact OCI image manifest", () => {
        const m = imageManifest(Buffer.from("abc"), [Buffer.from(""), Buffer.from("abc")]);
        assert.strictEqual(
            m.toString(),
            `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
                `"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${ABC}","size":3},` +
                `"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"${EMPTY}","size":0},` +
                `{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"${ABC}","size":3}]}`,
        );
    });

    it("writes the exact OCI index, platforms in the order given, annotations sorted", () => {
        const idx = imageIndex(
            [
                { platform: parsePlatform("linux/arm/v7"), manifest: Buffer.from("") },
                { platform: parsePlatform("linux/amd64"), manifest: Buffer.from("abc") },
            ],
            {
                "org.opencontainers.image.version": "1.4.2",
                "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
            },
        );
        assert.strictEqual(
            idx.toString(),
            `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
                `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${EMPTY}","size":0,` +
                `"platform":{"architecture":"arm","os":"linux","variant":"v7"}},` +
                `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${ABC}","size":3,` +
                `"platform":{"architecture":"amd64","os":"linux"}}],` +
                `"annotations":{"org.opencontainers.image.created":"2023-11-14T22:13:20Z",` +
                `"org.opencontainers.image.version":"1.4.2"}}`,
        );
    });

    it("leaves annotations out when there are none", () => {
        assert.strictEqual(
            imageIndex(
                [{ platform: parsePlatform("linux/amd64"), manifest: Buffer.from("abc") }],
                {},
            ).toString(),
            `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
                `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${ABC}","size":3,` +
                `"platform":{"architecture":"amd64","os":"linux"}}]}`,
        );
    });
});
