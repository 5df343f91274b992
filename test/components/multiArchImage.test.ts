import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    forgetAbandonedRegistrations,
    MOCK_BUILD,
    promiseOf,
    recorded,
    resetRecorded,
    setMocks,
    settle,
} from "../helpers/mocks";
import type { MultiArchImage as MultiArchImageT } from "../../src/components/multiArchImage";
import { hashContext } from "../../src/builder";

const REPO = "127.0.0.1:5000/image-release/hello";

describe("components/MultiArchImage", () => {
    let MultiArchImage: typeof MultiArchImageT;
    before(async () => {
        await setMocks("dev");
        ({ MultiArchImage } = await import("../../src/components/multiArchImage"));
    });
    beforeEach(resetRecorded);

    it("computes tags, labels and context hash, and keeps credentials secret", async () => {
        const img = new MultiArchImage("hello", {
            context: "examples/hello",
            repository: REPO,
            version: "1.4.2",
            gitSha: "0123abcdef",
            channel: "dev",
            source: "https://example.test/hello",
            sourceDateEpoch: 1700000000,
            credentials: { "127.0.0.1:5001": { username: "u", password: "p" } },
        });
        assert.strictEqual(await promiseOf(img.digest), MOCK_BUILD.digest);
        assert.strictEqual(await promiseOf(img.ref), `${REPO}@${MOCK_BUILD.digest}`);
        assert.deepStrictEqual(await promiseOf(img.platformDigests), MOCK_BUILD.platformDigests);
        const labels = {
            "org.opencontainers.image.source": "https://example.test/hello",
            "org.opencontainers.image.version": "1.4.2",
            "org.opencontainers.image.revision": "0123abcdef",
            "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
        };
        assert.deepStrictEqual(await promiseOf(img.labels), labels);
        await settle();
        const [child] = recorded.filter((r) => r.type.includes(":dynamic:"));
        assert.strictEqual(child.name, "hello-image");
        assert.deepStrictEqual(child.inputs.tags, ["1.4.2", "1.4", "1", "git-0123abc", "dev"]);
        assert.deepStrictEqual(child.inputs.platforms, ["linux/amd64", "linux/arm64"]);
        assert.deepStrictEqual(child.inputs.labels, labels);
        // The component hashes with the build's own function and its defaults (Dockerfile, no build args).
        assert.strictEqual(child.inputs.contextHash, hashContext("examples/hello", "Dockerfile", {}));
        assert.strictEqual(await promiseOf(img.contextHash), hashContext("examples/hello", "Dockerfile", {}));
        // The engine receives the credentials wrapped as a secret, so they are encrypted in state.
        assert.deepStrictEqual(child.inputs.credentials, {
            [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
            value: { "127.0.0.1:5001": { username: "u", password: "p" } },
        });
    });

    it("names every bad arg in one InputPropertiesError", async () => {
        assert.throws(
            () =>
                new MultiArchImage("bad", {
                    context: "",
                    repository: `${REPO}:1.0.0`,
                    version: "v1",
                    gitSha: "XYZ",
                    platforms: ["amd64"],
                    dockerfile: "",
                    channel: "qa" as "dev",
                }),
            (e: unknown) =>
                pulumi.InputPropertiesError.isInstance(e) &&
                e.message ===
                    'invalid arguments for MultiArchImage "bad":\n' +
                        "  context: is required\n" +
                        `  repository: must not contain a tag (got "${REPO}:1.0.0")\n` +
                        '  version: must be a semver version X.Y.Z (got "v1")\n' +
                        '  gitSha: must be 7-40 lowercase hex characters (got "XYZ")\n' +
                        '  platforms: is not an os/arch platform (got "amd64")\n' +
                        '  dockerfile: must not be empty (got "")\n' +
                        '  channel: must be one of dev, staging, prod (got "qa")',
        );
        await settle();
        assert.deepStrictEqual(
            recorded.filter((r) => r.type.includes(":dynamic:")),
            [],
        );
    });

    const base = {
        context: "examples/hello",
        repository: REPO,
        version: "1.4.2",
        gitSha: "0123abc",
        sourceDateEpoch: 0,
    };
    const header = 'invalid arguments for MultiArchImage "t":\n  ';
    const badArgs: {
        name: string;
        args: { version?: string; repository?: string; buildArgs?: Record<string, string> };
        message: string;
    }[] = [
        {
            name: "a leading zero in the version",
            args: { version: "01.2.3" },
            message: header + 'version: must be a semver version X.Y.Z (got "01.2.3")',
        },
        {
            name: "a two-part version",
            args: { version: "1.2" },
            message: header + 'version: must be a semver version X.Y.Z (got "1.2")',
        },
        {
            name: "build metadata, which no image tag can carry",
            args: { version: "1.2.3+build.7" },
            message:
                header +
                'version: must not carry build metadata "+build.7" (not valid in an image tag) (got "1.2.3+build.7")',
        },
        {
            name: "an empty path component in the repository",
            args: { repository: "127.0.0.1:5000/a//b" },
            message:
                header +
                'repository: is not a valid repository name: empty path component in "a//b" (got "127.0.0.1:5000/a//b")',
        },
        {
            name: "build args the builder sets itself",
            args: { buildArgs: { MODE: "release", VERSION: "9.9.9", GIT_SHA: "fff" } },
            message:
                header +
                'buildArgs: must not set VERSION, GIT_SHA: the builder sets VERSION, GIT_SHA, SOURCE_DATE_EPOCH from the release\'s version, commit and source date epoch (got VERSION="9.9.9", GIT_SHA="fff")',
        },
    ];
    for (const c of badArgs) {
        it(`refuses ${c.name}, given plainly or as an Output`, async () => {
            const isExpected = (e: unknown) =>
                pulumi.InputPropertiesError.isInstance(e) && e.message === c.message;
            assert.throws(() => new MultiArchImage("t", { ...base, ...c.args }), isExpected);
            // An Output skips the constructor's check; the same rules run once it is known.
            const lifted = Object.fromEntries(Object.entries(c.args).map(([k, v]) => [k, pulumi.output(v)]));
            const img = new MultiArchImage("t", { ...base, ...lifted });
            // The SDK prefixes the error in place while serializing the child's first input; the error
            // itself is still the component's InputPropertiesError.
            await assert.rejects(
                promiseOf(img.labels),
                (e: unknown) =>
                    pulumi.InputPropertiesError.isInstance(e) &&
                    e.message === `error serializing property "context": ${c.message}`,
            );
            await settle();
            forgetAbandonedRegistrations();
            assert.deepStrictEqual(
                recorded.filter((r) => r.type.includes(":dynamic:")),
                [],
            );
        });
    }

    it("accepts the versions the tag rules accept", async () => {
        for (const version of ["1.2.3", "v1.2.3", "1.2.3-rc.1", "0.1.0"]) {
            assert.doesNotThrow(() => new MultiArchImage(`ok-${version}`, { ...base, version }));
        }
        await settle();
        assert.deepStrictEqual(
            Object.fromEntries(
                recorded.filter((r) => r.type.includes(":dynamic:")).map((r) => [r.name, r.inputs.tags]),
            ),
            {
                "ok-1.2.3-image": ["1.2.3", "1.2", "1", "git-0123abc"],
                "ok-v1.2.3-image": ["1.2.3", "1.2", "1", "git-0123abc"],
                "ok-1.2.3-rc.1-image": ["1.2.3-rc.1", "git-0123abc"],
                "ok-0.1.0-image": ["0.1.0", "0.1", "git-0123abc"],
            },
        );
    });

    it("allowLatest adds latest last; buildArgs, dockerfile and platforms reach the build", async () => {
        new MultiArchImage("web", {
            context: "examples/hello",
            dockerfile: "Dockerfile",
            repository: REPO,
            version: "2.0.1",
            gitSha: "89abcdef01",
            platforms: ["linux/arm64"],
            buildArgs: { GREETING: "hi" },
            labels: { "org.example.team": "ml" },
            allowLatest: true,
            sourceDateEpoch: 0,
        });
        await settle();
        const [child] = recorded.filter((r) => r.type.includes(":dynamic:"));
        assert.deepStrictEqual(child.inputs.tags, ["2.0.1", "2.0", "2", "git-89abcde", "latest"]);
        assert.deepStrictEqual(child.inputs.platforms, ["linux/arm64"]);
        assert.deepStrictEqual(child.inputs.buildArgs, { GREETING: "hi" });
        assert.strictEqual(child.inputs.dockerfile, "Dockerfile");
        assert.strictEqual(child.inputs.sourceDateEpoch, 0);
        // Extra labels join the OCI ones; no source label without `source` (the program derives that one).
        assert.deepStrictEqual(child.inputs.labels, {
            "org.opencontainers.image.version": "2.0.1",
            "org.opencontainers.image.revision": "89abcdef01",
            "org.opencontainers.image.created": "1970-01-01T00:00:00Z",
            "org.example.team": "ml",
        });
        assert.strictEqual(
            child.inputs.contextHash,
            hashContext("examples/hello", "Dockerfile", { GREETING: "hi" }),
        );
        assert.strictEqual(child.inputs.credentials, undefined);
    });

    it("tags are the tag set minus what the provider held back; heldBackTags says which", async () => {
        const hotfix = new MultiArchImage("hotfix", {
            context: "examples/hello",
            repository: REPO,
            version: "1.3.5",
            gitSha: "0123abcdef",
            allowLatest: true,
            sourceDateEpoch: 1700000000,
        });
        assert.deepStrictEqual(await promiseOf(hotfix.tags), ["1.3.5", "1.3", "git-0123abc"]);
        assert.deepStrictEqual(await promiseOf(hotfix.heldBackTags), ["1", "latest"]);
        const current = new MultiArchImage("current", {
            context: "examples/hello",
            repository: REPO,
            version: "1.4.2",
            gitSha: "0123abcdef",
            onlyIfHighest: false,
            sourceDateEpoch: 1700000000,
        });
        assert.deepStrictEqual(await promiseOf(current.heldBackTags), []);
        await settle();
        const [child] = recorded.filter((r) => r.name === "current-image");
        assert.strictEqual(child.inputs.onlyIfHighest, false);
    });

    it("builders reach the build's inputs as given; none given, no builders input", async () => {
        new MultiArchImage("remote", {
            context: "examples/hello",
            repository: REPO,
            version: "1.4.2",
            gitSha: "0123abcdef",
            builders: { "linux/arm64": "tcp://127.0.0.1:12340" },
            sourceDateEpoch: 0,
        });
        new MultiArchImage("local", {
            context: "examples/hello",
            repository: REPO,
            version: "1.4.2",
            gitSha: "0123abcdef",
            sourceDateEpoch: 0,
        });
        await settle();
        const byName = (n: string) => recorded.filter((r) => r.name === n)[0];
        assert.deepStrictEqual(byName("remote-image").inputs.builders, {
            "linux/arm64": "tcp://127.0.0.1:12340",
        });
        assert.strictEqual("builders" in byName("local-image").inputs, false);
    });

    it("refuses a builder with a bad address or for a platform it does not build", () => {
        assert.throws(
            () =>
                new MultiArchImage("b", {
                    context: "examples/hello",
                    repository: REPO,
                    version: "1.4.2",
                    gitSha: "0123abc",
                    platforms: ["linux/amd64"],
                    builders: { "linux/arm64": "http://127.0.0.1:1" },
                }),
            (e: unknown) =>
                pulumi.InputPropertiesError.isInstance(e) &&
                e.message ===
                    'invalid arguments for MultiArchImage "b":\n' +
                        '  builders: builder for linux/arm64 "http://127.0.0.1:1": expected tcp://<host>:<port> or unix:///<path>, e.g. tcp://127.0.0.1:12340\n' +
                        '  builders: builder for linux/arm64: not one of platforms (linux/amd64) (got "linux/arm64")',
        );
    });

    it("refuses allowLatest on the staging channel", () => {
        assert.throws(
            () =>
                new MultiArchImage("s", {
                    context: "examples/hello",
                    repository: REPO,
                    version: "1.4.2",
                    gitSha: "0123abc",
                    channel: "staging",
                    allowLatest: true,
                }),
            (e: unknown) =>
                pulumi.InputPropertiesError.isInstance(e) &&
                e.message ===
                    'invalid arguments for MultiArchImage "s":\n' +
                        '  allowLatest: conflicts with channel "staging" (only dev or no channel may move latest) (got "true")',
        );
    });
});
