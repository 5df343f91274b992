import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { editStackText, readStackFile, sha256Text, unifiedDiff, writeStackFile } from "../../src/stackconfig";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;

const BASE = `# top comment
config:
    image-release:repository: r/x
    # the pin
    image-release:digest: ${D1} # trailing
    image-release:version: 1.4.0
    image-release:platforms:
        - linux/amd64
    # last
`;

describe("stackconfig/edit", () => {
    const rows: {
        name: string;
        text: string;
        edits: Record<string, string | undefined>;
        want?: string;
        err?: string;
    }[] = [
        {
            name: "changes values in place, keeps comments, key order and 4-space indent",
            text: BASE,
            edits: { digest: D2, version: "1.4.1" },
            want: BASE.replace(D1, D2).replace("1.4.0", "1.4.1"),
        },
        {
            name: "appends a new key at the end of the config map",
            text: "config:\n  image-release:repository: r/x # repo\n",
            edits: { promotedFrom: "dev" },
            want: "config:\n  image-release:repository: r/x # repo\n  image-release:promotedFrom: dev\n",
        },
        {
            name: "deletes a key given undefined",
            text: "config:\n  image-release:repository: r/x\n  image-release:gitSha: abc\n",
            edits: { gitSha: undefined },
            want: "config:\n  image-release:repository: r/x\n",
        },
        {
            name: "refuses malformed YAML",
            text: "config:\n  a: [\n",
            edits: { digest: D2 },
            err: "f.yaml:3: malformed YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
        },
        {
            name: "refuses a file without a config map",
            text: "config: 3\n",
            edits: { digest: D2 },
            err: 'f.yaml: expected a map with a "config:" map at the top level',
        },
    ];
    for (const r of rows) {
        it(r.name, () => {
            if (r.err !== undefined) {
                assert.throws(() => editStackText("f.yaml", r.text, r.edits), { message: r.err });
            } else {
                assert.strictEqual(editStackText("f.yaml", r.text, r.edits), r.want);
            }
        });
    }

    it("unifiedDiff shows only the changed lines as -/+", () => {
        assert.strictEqual(
            unifiedDiff("s.yaml", "a\nb\nc\n", "a\nB\nc\n"),
            "--- a/s.yaml\n+++ b/s.yaml\n@@ -1,4 +1,4 @@\n a\n-b\n+B\n c\n \n",
        );
        assert.strictEqual(unifiedDiff("s.yaml", "a\n", "a\n"), "");
    });

    describe("writeStackFile", () => {
        let dir: string;
        let file: string;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "edit-test-"));
            file = path.join(dir, "Pulumi.prod.yaml");
            fs.writeFileSync(file, BASE);
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("writes atomically and leaves no temp file", () => {
            const snap = readStackFile(file);
            writeStackFile(snap, "new\n");
            assert.strictEqual(fs.readFileSync(file, "utf8"), "new\n");
            assert.deepStrictEqual(fs.readdirSync(dir), ["Pulumi.prod.yaml"]);
        });

        it("refuses when another writer changed the file between read and write", () => {
            const snap = readStackFile(file);
            const other = BASE.replace("1.4.0", "9.9.9");
            assert.throws(
                () => writeStackFile(snap, "mine\n", { beforeRename: () => fs.writeFileSync(file, other) }),
                {
                    message: `${file} changed since it was read (sha256 ${sha256Text(BASE).slice(0, 12)} -> ${sha256Text(other).slice(0, 12)}); refusing to overwrite another writer's change`,
                },
            );
            assert.strictEqual(fs.readFileSync(file, "utf8"), other);
            assert.deepStrictEqual(fs.readdirSync(dir), ["Pulumi.prod.yaml"]);
        });
    });
});
