import * as assert from "assert";
import * as path from "path";
import {
    readStackConfig,
    singleImageName,
    StackImageConfig,
    validateStackConfig,
} from "../../src/stackconfig";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const API = "127.0.0.1:5000/shop/api";
const WORKER = "127.0.0.1:5000/shop/worker";
const F = "stacks/Pulumi.staging.yaml";
const BOTH = ["linux/amd64", "linux/arm64"];
const SET_DIR = path.join(__dirname, "..", "fixtures", "stacks", "set");

function cfg(o: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [`image-release:${k}`, v]));
}

describe("a pin is a named set of images", () => {
    it("reads the structured form: each image by name, the single-image fields hold the first", () =>
        assert.deepStrictEqual(readStackConfig(SET_DIR, "staging"), {
            stack: "staging",
            file: path.join(SET_DIR, "Pulumi.staging.yaml"),
            channel: "staging",
            promoteFrom: "dev",
            verifyDigest: true,
            namespace: "shop",
            repository: API,
            platforms: BOTH,
            digest: D1,
            version: "1.2.0",
            gitSha: "4567890",
            promotedFrom: "dev",
            images: {
                api: {
                    repository: API,
                    platforms: BOTH,
                    digest: D1,
                    version: "1.2.0",
                    gitSha: "4567890",
                    promotedFrom: "dev",
                },
                worker: {
                    repository: WORKER,
                    platforms: ["linux/amd64"],
                    digest: D2,
                    version: "1.2.0",
                    gitSha: "0123abc",
                },
            },
            form: "set",
        } satisfies StackImageConfig));

    it("the engine's read of the set fixture and the CLI's read agree", () => {
        // `pulumi config --json` (v3.248) for test/fixtures/stacks/set/Pulumi.staging.yaml: scalars as
        // strings, the structured value as a JSON string (the program decodes it, see stackConfigRecord).
        const images = `{"api":{"digest":"${D1}","gitSha":"4567890","promotedFrom":"dev","repository":"${API}","version":"1.2.0"},"worker":{"digest":"${D2}","gitSha":"0123abc","platforms":["linux/amd64"],"repository":"${WORKER}","version":"1.2.0"}}`;
        const engine = {
            "image-release:channel": "staging",
            "image-release:images": JSON.parse(images) as unknown,
            "image-release:namespace": "shop",
            "image-release:platforms": BOTH,
            "image-release:promoteFrom": "dev",
            "kubernetes:context": "kind-local",
        };
        const file = path.join(SET_DIR, "Pulumi.staging.yaml");
        assert.deepStrictEqual(
            validateStackConfig("staging", file, engine),
            readStackConfig(SET_DIR, "staging"),
        );
    });

    it("reads the engine's form of the same file: JSON with sorted keys, all-digit scalars as numbers", () => {
        // `pulumi config --json` (v3.248) for a file with `gitSha: 1234567` unquoted in a member.
        const engine = JSON.parse(
            `{"api":{"digest":"${D1}","gitSha":1234567,"repository":"${API}","version":"1.2.0"}}`,
        ) as unknown;
        const got = validateStackConfig("staging", F, cfg({ images: engine }));
        assert.deepStrictEqual(got.images, {
            api: { repository: API, platforms: BOTH, digest: D1, version: "1.2.0", gitSha: "1234567" },
        });
    });

    it("reads a single-image file as a set of one, named after the repository", () => {
        const got = validateStackConfig(
            "staging",
            F,
            cfg({ repository: API, digest: D1, gitSha: "0123abc" }),
        );
        assert.deepStrictEqual(
            [got.form, got.images],
            ["single", { api: { repository: API, platforms: BOTH, digest: D1, gitSha: "0123abc" } }],
        );
    });

    const names: [string, string][] = [
        ["127.0.0.1:5000/image-release/hello", "hello"],
        ["nginx", "nginx"],
        ["ghcr.io/acme/my_app.v2", "my-app-v2"],
    ];
    for (const [repository, name] of names) {
        it(`names the single image of ${repository} "${name}"`, () =>
            assert.strictEqual(singleImageName(repository), name));
    }

    const bad: { name: string; stack?: string; in: Record<string, unknown>; message: string[] }[] = [
        {
            name: "an image with no repository",
            in: cfg({ images: { api: { digest: D1 } } }),
            message: [`${F}: image-release:images.api.repository: required (got "")`],
        },
        {
            name: "two images with the same repository",
            in: cfg({
                images: { api: { repository: API, digest: D1 }, worker: { repository: API, digest: D2 } },
            }),
            message: [
                `${F}: image-release:images.worker.repository: same repository as image "api"; each image of a set has its own (got "${API}")`,
            ],
        },
        {
            name: "two images with the same repository, written two ways",
            in: cfg({
                images: {
                    a: { repository: "nginx", digest: D1 },
                    b: { repository: "docker.io/library/nginx", digest: D2 },
                },
            }),
            message: [
                `${F}: image-release:images.b.repository: same repository as image "a"; each image of a set has its own (got "docker.io/library/nginx")`,
            ],
        },
        {
            name: "an image name that is not lowercase",
            in: cfg({ images: { Api: { repository: API, digest: D1 } } }),
            message: [
                `${F}: image-release:images.Api: image name must be an RFC 1123 label: lowercase alphanumerics or "-", starting and ending with an alphanumeric (got "Api")`,
            ],
        },
        {
            name: "an image name with an underscore",
            in: cfg({ images: { my_api: { repository: API, digest: D1 } } }),
            message: [
                `${F}: image-release:images.my_api: image name must be an RFC 1123 label: lowercase alphanumerics or "-", starting and ending with an alphanumeric (got "my_api")`,
            ],
        },
        {
            name: "the single-image pin keys beside images",
            in: cfg({
                repository: API,
                digest: D1,
                version: "1.2.0",
                images: { api: { repository: API, digest: D1 } },
            }),
            message: [
                `${F}: image-release:repository: not allowed with image-release:images; set it per image, as image-release:images.<name>.repository (got "${API}")`,
                `${F}: image-release:digest: not allowed with image-release:images; set it per image, as image-release:images.<name>.digest (got "${D1}")`,
                `${F}: image-release:version: not allowed with image-release:images; set it per image, as image-release:images.<name>.version (got "1.2.0")`,
            ],
        },
        {
            name: "an empty set",
            in: cfg({ images: {} }),
            message: [
                `${F}: image-release:images: expected a map of image name to a map of repository, sourceRepository, digest, platforms, version, gitSha, build, promotedFrom (got "{}")`,
            ],
        },
        {
            name: "an image that is not a map",
            in: cfg({ images: { api: API } }),
            message: [
                `${F}: image-release:images.api: expected a map with repository and optional sourceRepository, digest, platforms, version, gitSha, build, promotedFrom (got "${API}")`,
            ],
        },
        {
            name: "a stack key inside an image",
            in: cfg({ images: { api: { repository: API, digest: D1, channel: "staging" } } }),
            message: [
                `${F}: image-release:images.api.channel: unknown key (known: repository, sourceRepository, digest, platforms, version, gitSha, build, promotedFrom) (got "staging")`,
            ],
        },
        {
            name: "an image with no digest in a pinned stack",
            in: cfg({ images: { api: { repository: API, digest: D1 }, worker: { repository: WORKER } } }),
            message: [
                `${F}: image-release:images.worker.digest: required in stack "staging" (it deploys a pinned digest, never builds) (got "")`,
            ],
        },
        {
            name: "dev with no build and an image with no digest",
            stack: "dev",
            in: cfg({ images: { api: { repository: API, digest: D1 }, worker: { repository: WORKER } } }),
            message: [
                `${F}: image-release:images.worker.build: stack "dev" needs image-release:images.worker.build or image-release:images.worker.digest (got "")`,
            ],
        },
        {
            name: "a stack-wide build beside a set",
            stack: "dev",
            in: cfg({
                build: { context: "." },
                images: { api: { repository: API, build: { context: "." } } },
            }),
            message: [
                `${F}: image-release:build: not allowed with image-release:images; set it per image, as image-release:images.<name>.build (got "{"context":"."}")`,
            ],
        },
        {
            name: "a build in a pinned stack's image",
            in: cfg({ images: { api: { repository: API, digest: D1, build: { context: "." } } } }),
            message: [
                `${F}: image-release:images.api.build: not allowed in stack "staging" (it deploys a pinned digest, never builds) (got "{"context":"."}")`,
            ],
        },
        {
            name: "a copy source without a digest, in an image",
            stack: "dev",
            in: cfg({
                images: { api: { repository: API, sourceRepository: WORKER, build: { context: "." } } },
            }),
            message: [
                `${F}: image-release:images.api.sourceRepository: only meaningful with image-release:images.api.digest (it says where the pin is copied from) (got "${WORKER}")`,
            ],
        },
    ];
    for (const c of bad) {
        it(`refuses ${c.name}`, () =>
            assert.throws(() => validateStackConfig(c.stack ?? "staging", F, c.in), {
                name: "StackConfigError",
                message: c.message.join("\n"),
            }));
    }
});
