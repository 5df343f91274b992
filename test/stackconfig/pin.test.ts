import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    deployablePins,
    editStackText,
    Pin,
    pinEdits,
    readStackConfig,
    StackEdits,
    validateStackConfig,
} from "../../src/stackconfig";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const REPO = "127.0.0.1:5000/image-release/hello";
const F = "stacks/Pulumi.prod.yaml";
const SET_DIR = path.join(__dirname, "..", "fixtures", "stacks", "set");

const single = validateStackConfig("prod", F, {
    "image-release:repository": REPO,
    "image-release:digest": D1,
    "image-release:version": "1.4.0",
    "image-release:gitSha": "0123abc",
});
const set = readStackConfig(SET_DIR, "staging");

describe("pinEdits: one pin as stack-file edits", () => {
    const rows: { name: string; image?: string; pin: Pin; single: StackEdits; set: StackEdits }[] = [
        {
            name: "a promotion: every field",
            image: "worker",
            pin: {
                digest: D2,
                version: "1.5.0",
                gitSha: "4567890",
                promotedFrom: "staging",
                sourceRepository: REPO,
            },
            // What promote and rollback wrote before the table: digest, version, gitSha, promotedFrom, sourceRepository.
            single: {
                digest: D2,
                version: "1.5.0",
                gitSha: "4567890",
                promotedFrom: "staging",
                sourceRepository: REPO,
            },
            set: {
                "images.worker.digest": D2,
                "images.worker.version": "1.5.0",
                "images.worker.gitSha": "4567890",
                "images.worker.promotedFrom": "staging",
                "images.worker.sourceRepository": REPO,
            },
        },
        {
            name: "a rollback to a pin with no version, sha, source or copy: those kept, these removed",
            image: "api",
            pin: { digest: D2 },
            single: { digest: D2, promotedFrom: undefined, sourceRepository: undefined },
            set: {
                "images.api.digest": D2,
                "images.api.promotedFrom": undefined,
                "images.api.sourceRepository": undefined,
            },
        },
    ];
    for (const r of rows) {
        it(`single-image file: ${r.name}`, () => {
            const got = pinEdits(single, r.pin);
            // The order is part of the result: two insertions at one point keep it.
            assert.deepStrictEqual(Object.entries(got), Object.entries(r.single));
        });
        it(`set: ${r.name}`, () =>
            assert.deepStrictEqual(Object.entries(pinEdits(set, r.pin, r.image)), Object.entries(r.set)));
    }

    const refusals: { name: string; image?: string; cfg: typeof set; message: string }[] = [
        {
            name: "a set of two with no image named",
            cfg: set,
            message: `${set.file}: stack "staging" pins 2 images (api, worker); name the one to pin`,
        },
        {
            name: "an image the set does not have",
            image: "web",
            cfg: set,
            message: `${set.file}: stack "staging" has no image "web" (images: api, worker)`,
        },
        {
            name: "a single-image file asked for another image",
            image: "api",
            cfg: single,
            message: `${F}: stack "prod" has no image "api" (images: hello)`,
        },
    ];
    for (const r of refusals) {
        it(`refuses ${r.name}`, () =>
            assert.throws(() => pinEdits(r.cfg, { digest: D2 }, r.image), { message: r.message }));
    }

    it("edits the set fixture's worker, changing only its pin's bytes", () => {
        const text = fs.readFileSync(set.file, "utf8");
        const after = editStackText(
            set.file,
            text,
            pinEdits(set, { digest: D1, gitSha: "7654321", promotedFrom: "dev" }, "worker"),
        );
        assert.strictEqual(
            after,
            text
                .replace(`digest: ${D2}`, `digest: ${D1}`)
                .replace("      gitSha: 0123abc\n", '      gitSha: "7654321"\n      promotedFrom: dev\n'),
        );
    });
});

describe("deployablePins: the pins the program deploys", () => {
    it("single-image file: one pin named after the repository", () =>
        assert.deepStrictEqual(deployablePins(single), [
            {
                name: "hello",
                repository: REPO,
                platforms: ["linux/amd64", "linux/arm64"],
                digest: D1,
                version: "1.4.0",
                gitSha: "0123abc",
            },
        ]));

    it("set: one pin per image, by name", () =>
        assert.deepStrictEqual(
            deployablePins(set).map((p) => [p.name, p.repository, p.digest, p.platforms]),
            [
                ["api", "127.0.0.1:5000/shop/api", set.images.api.digest, ["linux/amd64", "linux/arm64"]],
                ["worker", "127.0.0.1:5000/shop/worker", set.images.worker.digest, ["linux/amd64"]],
            ],
        ));

    it("single-image file without version and gitSha: the program's message, byte for byte", () => {
        const cfg = validateStackConfig("staging", F, {
            "image-release:repository": REPO,
            "image-release:digest": D1,
        });
        assert.throws(() => deployablePins(cfg), {
            name: "StackConfigError",
            message: [
                `${F}: image-release:version: required with image-release:digest (got "")`,
                `${F}: image-release:gitSha: required with image-release:digest (got "")`,
            ].join("\n"),
        });
    });

    it("set: names each image's missing keys by path", () => {
        const cfg = validateStackConfig("staging", F, {
            "image-release:images": { api: { repository: REPO, digest: D1, version: "1.0.0" } },
        });
        assert.throws(() => deployablePins(cfg), {
            message: `${F}: image-release:images.api.gitSha: required with image-release:images.api.digest (got "")`,
        });
    });
});
