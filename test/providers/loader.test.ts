import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadModule } from "../../src/providers";

// A state's serialized provider names the module path of the checkout that created it. When that
// checkout is gone, the project being run must serve: the engine runs the provider from the directory
// of Pulumi.yaml's `main` (`<project>/bin`, or `<project>/src` for a main there), so the project is the cwd or one of its parents.
describe("loadModule falls back to the running project", () => {
    let project: string;
    let saved: string;
    before(() => {
        saved = process.cwd();
        project = fs.mkdtempSync(path.join(os.tmpdir(), "loader-"));
        fs.mkdirSync(path.join(project, "src", "registry"), { recursive: true });
        fs.mkdirSync(path.join(project, "bin"));
        fs.writeFileSync(path.join(project, "src", "registry", "index.js"), "exports.where = 'project';\n");
    });
    after(() => {
        process.chdir(saved);
        fs.rmSync(project, { recursive: true, force: true });
    });

    const rows = [
        { cwd: ".", why: "cwd is the project root" },
        { cwd: "bin", why: "cwd is the program's directory (bin/program.js), as under the engine" },
        { cwd: "src", why: "cwd is src/, the program's directory of a project that runs src/program.ts" },
    ];
    for (const r of rows) {
        it(r.why, () => {
            process.chdir(path.join(project, r.cwd));
            const m = loadModule<{ where: string }>("/gone/checkout/src/registry");
            assert.strictEqual(m.where, "project");
        });
    }

    it("names the module and where it looked when nothing serves it", () => {
        process.chdir(project);
        assert.throws(
            () => loadModule("/gone/checkout/src/nothing"),
            (e: Error) =>
                e.message.startsWith(
                    `image-release: cannot find module /gone/checkout/src/nothing (also looked in ${fs.realpathSync(project)}/src/nothing, `,
                ) ||
                e.message.startsWith(
                    `image-release: cannot find module /gone/checkout/src/nothing (also looked in ${project}/src/nothing, `,
                ),
        );
    });
});
