import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    editStackText,
    parseStackConfigText,
    readStackConfig,
    readStackSnapshot,
    sha256Text,
    validateStackConfig,
} from "../../src/stackconfig";

const D = "sha256:3f2a9c1e8b7d6054a1c2e3f4b5a6978812345678909abcdef0fedcba98765432";
const REPO = "127.0.0.1:5000/image-release/hello";
const F = "stacks/Pulumi.prod.yaml";

describe("stack config scalars are strings, as Pulumi hands them to the program", () => {
    const rows: { name: string; yaml: string; want: Record<string, unknown> }[] = [
        {
            name: "all-digit gitSha",
            yaml: "config:\n  image-release:gitSha: 1234567\n",
            want: { "image-release:gitSha": "1234567" },
        },
        {
            name: "leading zero kept",
            yaml: "config:\n  image-release:gitSha: 0123456\n",
            want: { "image-release:gitSha": "0123456" },
        },
        {
            name: "float-looking version keeps its text",
            yaml: "config:\n  image-release:version: 1.10\n",
            want: { "image-release:version": "1.10" },
        },
        {
            name: "boolean as text",
            yaml: "config:\n  image-release:verifyDigest: false\n",
            want: { "image-release:verifyDigest": "false" },
        },
        {
            name: "quoted stays the same string",
            yaml: "config:\n  image-release:gitSha: '1234567'\n",
            want: { "image-release:gitSha": "1234567" },
        },
        {
            name: "lists and maps stay structured",
            yaml: "config:\n  image-release:platforms:\n    - linux/amd64\n  image-release:build:\n    context: app\n    dockerfile: Dockerfile\n",
            want: {
                "image-release:platforms": ["linux/amd64"],
                "image-release:build": { context: "app", dockerfile: "Dockerfile" },
            },
        },
        { name: "empty file", yaml: "# nothing yet\n", want: {} },
        { name: "empty config map", yaml: "config:\n", want: {} },
    ];
    for (const r of rows) {
        it(r.name, () => assert.deepStrictEqual(parseStackConfigText(F, r.yaml), r.want));
    }
    it("refuses a non-map top level", () =>
        assert.throws(() => parseStackConfigText(F, "- config\n"), {
            message: `${F}: expected a map with a "config:" map at the top level`,
        }));
});

describe("readStackConfig reads what Pulumi reads", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-read-"));
    });
    const write = (body: string) =>
        fs.writeFileSync(
            path.join(dir, "Pulumi.prod.yaml"),
            `config:\n    image-release:repository: ${REPO}\n    image-release:digest: ${D}\n${body}`,
        );
    const rows: {
        name: string;
        body: string;
        want?: Record<string, unknown>;
        err?: (f: string) => string;
    }[] = [
        {
            name: "unquoted all-digit gitSha and bool",
            body: "    image-release:gitSha: 1234567\n    image-release:verifyDigest: false\n",
            want: { gitSha: "1234567", verifyDigest: false },
        },
        {
            name: "verifyDigest true",
            body: "    image-release:verifyDigest: true\n",
            want: { verifyDigest: true },
        },
        {
            name: "pre-release version",
            body: "    image-release:version: 1.4.2-rc.1\n",
            want: { version: "1.4.2-rc.1" },
        },
        {
            name: "verifyDigest yes is not a boolean",
            body: "    image-release:verifyDigest: yes\n",
            err: (f) => `${f}: image-release:verifyDigest: expected true or false (got "yes")`,
        },
        {
            name: "version 1.10 is not semver (and is not read as 1.1)",
            body: "    image-release:version: 1.10\n",
            err: (f) => `${f}: image-release:version: not a semver version (got "1.10")`,
        },
        {
            name: "version =1.2.3",
            body: "    image-release:version: =1.2.3\n",
            err: (f) => `${f}: image-release:version: not a semver version (got "=1.2.3")`,
        },
        {
            name: "version with a space inside quotes",
            body: '    image-release:version: " 1.2.3"\n',
            err: (f) => `${f}: image-release:version: not a semver version (got " 1.2.3")`,
        },
    ];
    for (const r of rows) {
        it(r.name, () => {
            write(r.body);
            const file = path.join(dir, "Pulumi.prod.yaml");
            if (r.err) {
                assert.throws(() => readStackConfig(dir, "prod"), { message: r.err(file) });
                return;
            }
            const got = readStackConfig(dir, "prod") as unknown as Record<string, unknown>;
            for (const [k, v] of Object.entries(r.want ?? {})) assert.deepStrictEqual([k, got[k]], [k, v]);
        });
    }

    it("the snapshot hashes exactly the text the config was parsed from", () => {
        write("    image-release:gitSha: 1234567\n");
        const file = path.join(dir, "Pulumi.prod.yaml");
        const text = fs.readFileSync(file, "utf8");
        const s = readStackSnapshot(dir, "prod");
        assert.deepStrictEqual(
            [s.snapshot, s.config.gitSha],
            [{ file, text, sha256: sha256Text(text) }, "1234567"],
        );
    });

    it("an edit to an all-digit value keeps comments and stays a string for every YAML reader", () => {
        const text = `config:\n    # the pin\n    image-release:repository: ${REPO}\n    image-release:digest: ${D} # index\n    image-release:gitSha: 1234567 # short sha\n`;
        const after = editStackText(F, text, { gitSha: "7654321" });
        assert.strictEqual(after, text.replace("gitSha: 1234567", 'gitSha: "7654321"'));
        assert.strictEqual(parseStackConfigText(F, after)["image-release:gitSha"], "7654321");
    });
});

describe("version validation uses the release rules' isSemver", () => {
    const rows: { version: string; ok: boolean }[] = [
        { version: "1.4.2", ok: true },
        { version: "1.4.2-rc.1", ok: true },
        { version: "1.4.2+build.5", ok: true },
        { version: "v1.4.2", ok: true },
        { version: "=1.4.2", ok: false },
        { version: "1.4.2 ", ok: false },
        { version: "1.4", ok: false },
        { version: "01.4.2", ok: false },
    ];
    for (const r of rows) {
        it(JSON.stringify(r.version), () => {
            const cfg = {
                "image-release:repository": REPO,
                "image-release:digest": D,
                "image-release:version": r.version,
            };
            if (r.ok) assert.strictEqual(validateStackConfig("prod", F, cfg).version, r.version);
            else
                assert.throws(() => validateStackConfig("prod", F, cfg), {
                    message: `${F}: image-release:version: not a semver version (got "${r.version}")`,
                });
        });
    }
});
