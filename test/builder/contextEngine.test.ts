import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { contextFiles, DockerEngine } from "../../src/builder";
import { readDockerSave, readTar } from "../fixtures/builder/reference";

const COPY_ALL = "FROM scratch\nCOPY . /ctx/\n";

/**
 * The files the real engine puts in an image for `COPY . /ctx/`: what it was sent, after the ignore file
 * it chose. Directories are left out (an ignored parent of a re-included file is still created).
 */
async function engineSees(engine: DockerEngine, context: string, dockerfile: string): Promise<string[]> {
    const id = await engine.build({ context, dockerfile, platform: "linux/amd64", buildArgs: {} });
    try {
        const saved = await readDockerSave(await engine.save(id));
        const names: string[] = [];
        for (const layer of saved.layers) {
            for (const [name, entry] of await readTar(layer)) {
                if (entry.header.type !== "directory") names.push(name.replace(/^ctx\//, ""));
            }
        }
        return names.sort();
    } finally {
        await engine.remove(id);
    }
}

describe("contextFiles lists exactly what the real engine (BuildKit) is sent @integration", function () {
    this.timeout(120_000);
    const engine = new DockerEngine();
    const dirs: string[] = [];
    after(() => {
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    const rows: { name: string; files: Record<string, string>; dockerfile?: string }[] = [
        {
            name: "Dockerfile.dockerignore wins over .dockerignore",
            files: { ".dockerignore": "b\n", "Dockerfile.dockerignore": "a\n", a: "a", b: "b" },
        },
        {
            name: "an empty Dockerfile.dockerignore still wins",
            files: { ".dockerignore": "b\n", "Dockerfile.dockerignore": "", a: "a", b: "b" },
        },
        {
            name: "a Dockerfile in a subfolder and the ignore file beside it",
            files: {
                ".dockerignore": "a\n",
                "build/Dockerfile.prod.dockerignore": "b\nbuild/Dockerfile.prod\n",
                a: "a",
                b: "b",
            },
            dockerfile: "build/Dockerfile.prod",
        },
        {
            name: "case, comments, a BOM, and a file re-included from an ignored folder",
            files: {
                ".dockerignore": "\uFEFF#a\nsecret\n  #keep\ncache\n!cache/keep\n",
                SECRET: "1",
                secret: "2",
                "#keep": "3",
                a: "4",
                "cache/drop": "5",
                "cache/keep": "6",
            },
        },
    ];
    for (const row of rows) {
        it(row.name, async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-ctx-engine-"));
            dirs.push(dir);
            const dockerfile = row.dockerfile ?? "Dockerfile";
            for (const [rel, body] of Object.entries({ ...row.files, [dockerfile]: COPY_ALL })) {
                fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
                fs.writeFileSync(path.join(dir, rel), body);
            }
            const ours = contextFiles(dir, dockerfile).filter((f) => !f.endsWith("/"));
            assert.deepStrictEqual(ours, await engineSees(engine, dir, dockerfile));
        });
    }
});
