import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readVersion } from "../../src/release";

describe("readVersion", () => {
    let root: string;
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "release-version-"));
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    function project(files: Record<string, string>): string {
        const dir = fs.mkdtempSync(path.join(root, "p-"));
        for (const [name, text] of Object.entries(files)) {
            fs.writeFileSync(path.join(dir, name), text);
        }
        return dir;
    }

    const cases: { name: string; files: Record<string, string>; out: string }[] = [
        { name: "package.json", files: { "package.json": '{"name":"x","version":"1.4.2"}' }, out: "1.4.2" },
        { name: "version.json", files: { "version.json": '{"version":"2.0.0-rc.1"}' }, out: "2.0.0-rc.1" },
        {
            name: "version.json wins over package.json",
            files: { "version.json": '{"version":"0.3.1"}', "package.json": '{"version":"9.9.9"}' },
            out: "0.3.1",
        },
        {
            name: "leading v kept for the tag rules to strip",
            files: { "version.json": '{"version":"v1.0.0"}' },
            out: "v1.0.0",
        },
    ];
    for (const c of cases) {
        it(c.name, () => assert.strictEqual(readVersion(project(c.files)), c.out));
    }

    const errors: { name: string; files: Record<string, string>; message: (dir: string) => string }[] = [
        {
            name: "not semver",
            files: { "version.json": '{"version":"1.4"}' },
            message: (d) => `${path.join(d, "version.json")}: version "1.4" is not a semver version`,
        },
        {
            name: "not a string",
            files: { "package.json": '{"version":3}' },
            message: (d) => `${path.join(d, "package.json")}: "version" must be a string (got 3)`,
        },
        {
            name: "missing version",
            files: { "package.json": '{"name":"x"}' },
            message: (d) => `${path.join(d, "package.json")}: "version" must be a string (got undefined)`,
        },
        {
            name: "bad JSON",
            files: { "version.json": "{version:" },
            message: (d) =>
                `${path.join(d, "version.json")}: not valid JSON: Expected property name or '}' in JSON at position 1`,
        },
        { name: "no files", files: {}, message: (d) => `no version.json or package.json in ${d}` },
    ];
    for (const c of errors) {
        it(`refuses: ${c.name}`, () => {
            const dir = project(c.files);
            assert.throws(() => readVersion(dir), { name: "ReleaseRuleError", message: c.message(dir) });
        });
    }
});
