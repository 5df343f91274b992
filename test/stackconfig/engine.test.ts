import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { validateEngineStackConfig, validateStackConfig } from "../../src/stackconfig";

const D = `sha256:${"a".repeat(64)}`;
const REPO = "127.0.0.1:5000/image-release/hello";
const F = "stacks/Pulumi.staging.yaml";

/**
 * What the engine hands the program for a file, as `pulumi config --json` (v3.248) printed it: yaml.v3
 * takes number-like plain scalars as numbers (`0123456` is octal 42798, `1.10` is 1.1), and a
 * structured value arrives as JSON with its keys sorted.
 */
const rows: { name: string; file: string; engine: Record<string, unknown>; message?: string[] }[] = [
    {
        name: "an unquoted octal-looking gitSha",
        file: `config:\n  image-release:repository: ${REPO}\n  image-release:digest: ${D}\n  image-release:gitSha: 0123456\n`,
        engine: { "image-release:gitSha": "42798" },
        message: [
            `${F}: image-release:gitSha: written unquoted as 0123456, which Pulumi's YAML reader takes as the number 42798; quote it ("0123456") (got "42798")`,
        ],
    },
    {
        name: "an unquoted octal-looking gitSha whose number still looks like a sha",
        file: `config:\n  image-release:repository: ${REPO}\n  image-release:digest: ${D}\n  image-release:gitSha: 0123456701 # short sha\n`,
        engine: { "image-release:gitSha": "21913025" },
        message: [
            `${F}: image-release:gitSha: written unquoted as 0123456701, which Pulumi's YAML reader takes as the number 21913025; quote it ("0123456701") (got "21913025")`,
        ],
    },
    {
        name: "a version whose trailing zero the reader drops (and that is not semver either way)",
        file: `config:\n  image-release:repository: ${REPO}\n  image-release:digest: ${D}\n  image-release:version: 1.10\n`,
        engine: { "image-release:version": "1.1" },
        message: [
            `${F}: image-release:version: written unquoted as 1.10, which Pulumi's YAML reader takes as the number 1.1; quote it ("1.10") (got "1.1")`,
            `${F}: image-release:version: not a semver version (got "1.10")`,
        ],
    },
    {
        name: "an octal-looking gitSha in an image of a set",
        file: `config:\n  image-release:images:\n    api:\n      repository: ${REPO}\n      digest: ${D}\n      gitSha: 0123456\n`,
        engine: { "image-release:images": { api: { digest: D, gitSha: 42798, repository: REPO } } },
        message: [
            `${F}: image-release:images.api.gitSha: written unquoted as 0123456, which Pulumi's YAML reader takes as the number 42798; quote it ("0123456") (got "42798")`,
        ],
    },
    {
        name: "an all-digit gitSha the reader keeps as written",
        file: `config:\n  image-release:repository: ${REPO}\n  image-release:digest: ${D}\n  image-release:gitSha: 1234567\n`,
        engine: { "image-release:gitSha": "1234567" },
    },
    {
        name: "a quoted gitSha",
        file: `config:\n  image-release:repository: ${REPO}\n  image-release:digest: ${D}\n  image-release:gitSha: "0123456"\n`,
        engine: { "image-release:gitSha": "0123456" },
    },
];

describe("values Pulumi's YAML reader takes as numbers are explained from the file's text", () => {
    for (const r of rows) {
        // A set file has no single-image keys; the others have the repository and digest besides.
        const config: Record<string, unknown> =
            r.engine["image-release:images"] !== undefined
                ? r.engine
                : { "image-release:repository": REPO, "image-release:digest": D, ...r.engine };
        it(r.message ? `refuses ${r.name}` : `accepts ${r.name}`, () => {
            const run = () => validateStackConfig("staging", F, config, { source: r.file });
            if (r.message) assert.throws(run, { name: "StackConfigError", message: r.message.join("\n") });
            else assert.doesNotThrow(run);
        });
    }

    it("without the file's text, the value is refused as it came (what the program said before)", () =>
        assert.throws(
            () =>
                validateStackConfig("staging", F, {
                    "image-release:repository": REPO,
                    "image-release:digest": D,
                    "image-release:gitSha": "42798",
                }),
            { message: `${F}: image-release:gitSha: expected 7-40 lowercase hex chars (got "42798")` },
        ));

    describe("validateEngineStackConfig reads the stack file itself", () => {
        let dir: string;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-engine-"));
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
        const engine = {
            "image-release:repository": REPO,
            "image-release:digest": D,
            "image-release:gitSha": "42798",
        };

        it("names what the file says", () => {
            const file = path.join(dir, "Pulumi.staging.yaml");
            fs.writeFileSync(file, rows[0].file);
            assert.throws(() => validateEngineStackConfig("staging", file, engine), {
                message: `${file}: image-release:gitSha: written unquoted as 0123456, which Pulumi's YAML reader takes as the number 42798; quote it ("0123456") (got "42798")`,
            });
        });

        it("with no file, checks the values as they came", () => {
            const file = path.join(dir, "Pulumi.staging.yaml");
            assert.throws(() => validateEngineStackConfig("staging", file, engine), {
                message: `${file}: image-release:gitSha: expected 7-40 lowercase hex chars (got "42798")`,
            });
        });
    });
});
