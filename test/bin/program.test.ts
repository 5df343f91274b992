import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../fixtures/checkout";

/**
 * bin/program.js, Pulumi.yaml's `main`: dist/ runs only while its stamp matches src/ and the tsconfig
 * files; otherwise src/ runs through ts-node and the run says why.
 */
describe("bin/program.js: dist/ while its stamp matches src/, else src/ through ts-node", () => {
    let project: string;
    const write = (file: string, text: string): void => {
        fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
        fs.writeFileSync(path.join(project, file), text);
    };
    // The fallback type-checks as Pulumi's `typescript: true` did, whatever the test runner's ts-node does.
    const env = { ...process.env, TS_NODE_TRANSPILE_ONLY: "" };
    const node = (args: string[]): string =>
        execFileSync("node", args, {
            cwd: project,
            encoding: "utf8",
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
    const stamp = (): string =>
        node(["-e", 'process.stdout.write(require("./bin/sourceStamp").sourceStamp("."))']);
    const build = (): void => {
        write("dist/program.js", 'module.exports = "from dist";\n');
        node(["bin/sourceStamp.js"]);
    };
    const run = (): string =>
        node(["-e", 'process.stdout.write("\\nprogram: " + require("./bin/program.js"))']);

    beforeEach(() => {
        project = fs.mkdtempSync(path.join(os.tmpdir(), "program-entry-"));
        for (const f of ["program.js", "sourceStamp.js"]) {
            write(`bin/${f}`, fs.readFileSync(path.join(ROOT, "bin", f), "utf8"));
        }
        write("src/program.ts", 'const from: string = "from src";\nexport = from;\n');
        write("tsconfig.json", JSON.stringify({ compilerOptions: { strict: true, module: "commonjs" } }));
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(project, "node_modules"));
    });
    afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

    const rows: { name: string; arrange: () => void; program: string; says?: string }[] = [
        { name: "a build of this very src/ runs from dist/", arrange: build, program: "from dist" },
        {
            name: "no build: src/ through ts-node, saying so",
            arrange: () => undefined,
            program: "from src",
            says: "image-release: running src/ through ts-node (there is no build); `npm run build` makes the next start faster",
        },
        {
            name: "a src/ file changed after the build: src/ through ts-node, saying so",
            arrange: () => {
                build();
                write("src/extra.ts", "export const x = 1;\n");
            },
            program: "from src",
            says: "image-release: running src/ through ts-node (src/ changed since the last build); `npm run build` makes the next start faster",
        },
        {
            name: "a tsconfig changed after the build: src/ through ts-node",
            arrange: () => {
                build();
                write(
                    "tsconfig.json",
                    JSON.stringify({ compilerOptions: { strict: false, module: "commonjs" } }),
                );
            },
            program: "from src",
            says: "image-release: running src/ through ts-node (src/ changed since the last build); `npm run build` makes the next start faster",
        },
        {
            name: "an installed package (no src/) runs its dist/",
            arrange: () => {
                build();
                fs.rmSync(path.join(project, "src"), { recursive: true });
            },
            program: "from dist",
        },
    ];
    for (const r of rows) {
        it(r.name, () => {
            r.arrange();
            const out = run().split("\n");
            assert.strictEqual(out[out.length - 1], `program: ${r.program}`);
            assert.strictEqual(
                out.some((l) => l.includes(r.says ?? "image-release:")),
                r.says !== undefined,
                out.join("\n"),
            );
        });
    }

    it("a type error in src/ with no build fails the run, as a type-checked start did", () => {
        write("src/program.ts", 'const from: number = "from src";\nexport = from;\n');
        assert.throws(
            () => run(),
            (e: Error & { stderr?: string }) =>
                /TS2322: Type 'string' is not assignable to type 'number'/.test(e.stderr ?? ""),
        );
    });

    it("PULUMI_NODEJS_TRANSPILE_ONLY=true skips that type-check, as it does for Pulumi's own ts-node", () => {
        write("src/typo.ts", "export const n: number = 'not a number';\n");
        write("src/program.ts", 'import "./typo";\nconst from: string = "from src";\nexport = from;\n');
        const out = execFileSync(
            "node",
            ["-e", 'process.stdout.write("\\nprogram: " + require("./bin/program.js"))'],
            {
                cwd: project,
                encoding: "utf8",
                env: { ...env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
                stdio: ["ignore", "pipe", "pipe"],
            },
        ).split("\n");
        assert.strictEqual(out[out.length - 1], "program: from src");
        assert.throws(
            () => run(),
            (e: Error & { stderr?: string }) => /TS2322/.test(e.stderr ?? ""),
        );
    });

    it("the stamp covers every file under src/ except a node_modules, and the tsconfig files", () => {
        const before = stamp();
        write("src/policy/pack/node_modules/x/index.js", "module.exports = 1;\n");
        assert.strictEqual(stamp(), before);
        write("tsconfig.build.json", "{}");
        const withBuildConfig = stamp();
        assert.notStrictEqual(withBuildConfig, before);
        write("src/program.ts", 'const from: string = "from src!";\nexport = from;\n');
        assert.notStrictEqual(stamp(), withBuildConfig);
        assert.match(stamp(), /^sha256:[0-9a-f]{64}$/);
    });
});
