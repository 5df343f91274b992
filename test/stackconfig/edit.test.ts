import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { editStackText, readStackFile, sha256Text, unifiedDiff, writeStackFile } from "../../src/stackconfig";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;

const LS = "\u2028";
const PS = "\u2029";
const NEL = "\u0085";

/** A set: each image's pin keys live in its own map. */
const SET = `config:
  image-release:images:
    api:
      repository: r/api
      digest: ${D1} # index
      promotedFrom: dev
    worker:
      repository: r/worker
      digest: ${D1}
      platforms:
        - linux/amd64
  image-release:namespace: shop
`;

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
            name: "with no pin key in the file, a new key goes after the config map's last entry",
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
            name: "a value with U+2028 is double-quoted with the break escaped, in any prior style",
            text: "config:\n  image-release:gitSha: 0123abc\n  image-release:version: '1.4.0'\n",
            edits: { gitSha: `0123abc${LS}image-release:kubeContext: evil`, version: `1.4.1${PS}${NEL}` },
            want: 'config:\n  image-release:gitSha: "0123abc\\u2028image-release:kubeContext: evil"\n  image-release:version: "1.4.1\\u2029\\u0085"\n',
        },
        {
            name: "after a block list, a new key goes right after the list (not after the line that follows it)",
            text: "config:\n  image-release:platforms:\n    - linux/amd64\n  # the cluster\n",
            edits: { promotedFrom: "dev" },
            want: "config:\n  image-release:platforms:\n    - linux/amd64\n  image-release:promotedFrom: dev\n  # the cluster\n",
        },
        {
            name: "a set: replaces one image's digest in place, keeping its comment",
            text: SET,
            edits: { "images.api.digest": D2 },
            want: SET.replace(`digest: ${D1} # index`, `digest: ${D2} # index`),
        },
        {
            name: "a set: inserts a missing pin key after its predecessor, at the image's indentation",
            text: SET,
            edits: { "images.worker.version": "1.5.0", "images.worker.gitSha": "4567890" },
            want: SET.replace(
                `      digest: ${D1}\n      platforms:`,
                `      digest: ${D1}\n      version: 1.5.0\n      gitSha: "4567890"\n      platforms:`,
            ),
        },
        {
            name: "a set: an image with no pin key yet gets one after its last entry, a block list",
            text: "config:\n  image-release:images:\n    web:\n      repository: r/web\n      platforms:\n        - linux/amd64\n  image-release:namespace: shop\n",
            edits: { "images.web.digest": D2 },
            want: `config:\n  image-release:images:\n    web:\n      repository: r/web\n      platforms:\n        - linux/amd64\n      digest: ${D2}\n  image-release:namespace: shop\n`,
        },
        {
            name: "a set: removes one image's key, and no other",
            text: SET,
            edits: { "images.api.promotedFrom": undefined },
            want: SET.replace("      promotedFrom: dev\n", ""),
        },
        {
            name: "a set: refuses a top-level pin key (the file would hold both forms)",
            text: SET,
            edits: { digest: D2 },
            err: "f.yaml: image-release:digest: this file pins a set (image-release:images); edit image-release:images.<name>.digest instead",
        },
        {
            name: "a set: refuses an image the file does not have",
            text: SET,
            edits: { "images.web.digest": D2 },
            err: "f.yaml: image-release:images.web: no such image (images: api, worker)",
        },
        {
            name: "a set: refuses an image written as a flow map",
            text: "config:\n  image-release:images:\n    api: {repository: r/api, digest: x}\n",
            edits: { "images.api.digest": D2 },
            err: "f.yaml: image-release:images.api is not a block map; write it as one to edit it",
        },
        {
            name: "refuses a key path that is neither a key nor images.<name>.<key>",
            text: SET,
            edits: { "images.api": D2 },
            err: "f.yaml: image-release:images.api: expected <key> or images.<name>.<key> to edit",
        },
        {
            name: "refuses malformed YAML",
            text: "config:\n  a: [\n",
            edits: { digest: D2 },
            err: "f.yaml:3: malformed YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
        },
        {
            name: "refuses a flow-style config map, naming the file",
            text: "config: {image-release:digest: x}\n",
            edits: { digest: D2 },
            err: "f.yaml: the config map is a flow map ({…}); write it as a block map to edit it",
        },
        {
            name: "refuses to replace a pin that is not a scalar",
            text: "config:\n  image-release:digest:\n    - a\n",
            edits: { digest: D2 },
            err: "f.yaml: image-release:digest: expected a scalar value to replace",
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
                const after = editStackText("f.yaml", r.text, r.edits);
                assert.strictEqual(after, r.want);
                // What a YAML 1.1 reader sees: no line break the source did not have.
                assert.strictEqual(after.split(/[\n\u0085\u2028\u2029]/).length, after.split("\n").length);
            }
        });
    }

    const diffRows: { name: string; before: string; after: string; want: string }[] = [
        { name: "unchanged", before: "a\n", after: "a\n", want: "" },
        {
            name: "one changed line keeps the others as context",
            before: "a\nb\nc\n",
            after: "a\nB\nc\n",
            want: "--- a/s.yaml\n+++ b/s.yaml\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
        },
        {
            name: "no newline at end of either file",
            before: "a",
            after: "b",
            want: "--- a/s.yaml\n+++ b/s.yaml\n@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n",
        },
        {
            name: "a final newline removed",
            before: "a\nb\n",
            after: "a\nb",
            want: "--- a/s.yaml\n+++ b/s.yaml\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n",
        },
        {
            name: "a line appended",
            before: "a\n",
            after: "a\nb\n",
            want: "--- a/s.yaml\n+++ b/s.yaml\n@@ -1,1 +1,2 @@\n a\n+b\n",
        },
        {
            name: "from an empty file",
            before: "",
            after: "a\n",
            want: "--- a/s.yaml\n+++ b/s.yaml\n@@ -0,0 +1,1 @@\n+a\n",
        },
    ];
    for (const r of diffRows) {
        it(`unifiedDiff: ${r.name}`, () => {
            const d = unifiedDiff("s.yaml", r.before, r.after);
            assert.strictEqual(d, r.want);
            if (d === "") return;
            // The diff must be a real patch: git applies it to `before` and gets `after`.
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-diff-"));
            fs.writeFileSync(path.join(dir, "s.yaml"), r.before);
            fs.writeFileSync(path.join(dir, "d.patch"), d);
            execFileSync("git", ["apply", "d.patch"], { cwd: dir });
            assert.strictEqual(fs.readFileSync(path.join(dir, "s.yaml"), "utf8"), r.after);
        });
    }

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
