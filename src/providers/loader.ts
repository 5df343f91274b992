import * as path from "path";

/**
 * Absolute paths of the modules the providers run. A dynamic provider reaches the engine as serialized
 * source, so it must not close over the modules themselves: it loads them by path inside each method.
 */
export const MODULES = {
    builder: path.join(__dirname, "..", "builder"),
    registry: path.join(__dirname, "..", "registry"),
    signing: path.join(__dirname, "..", "signing"),
    flows: path.join(__dirname, "..", "flows"),
    release: path.join(__dirname, "..", "release"),
};

/**
 * Loads a module by absolute path inside the provider process. Under `pulumi up` with a TypeScript
 * program that process has no `.ts` loader, so ts-node is registered (transpile only) the first time.
 */
export function loadModule<T>(modulePath: string): T {
    const nodeRequire = require;
    const fs = nodeRequire("fs") as typeof import("fs");
    const paths = nodeRequire("path") as typeof import("path");
    // The path recorded in the state may be another checkout's (a destroy run from CI, a moved repo):
    // then the same module of the project being run, as source or as the installed package, will do.
    const name = modulePath.split(/[\\/]/).pop() ?? "";
    // The engine runs the provider in the directory of Pulumi.yaml's `main` (e.g. `<project>/bin`), so the
    // project is the cwd or one of its parents: look for its `src/<name>` and installed package in each.
    const dirs: string[] = [];
    for (let d = process.cwd(); !dirs.includes(d); d = paths.dirname(d)) dirs.push(d);
    const roots = [
        modulePath,
        ...dirs.flatMap((d) => [`${d}/src/${name}`, `${d}/node_modules/pulumi-image-release/dist/${name}`]),
    ];
    const candidates = roots.flatMap((r) => [`${r}.js`, `${r}/index.js`, `${r}.ts`, `${r}/index.ts`]);
    const resolved = candidates.find((c) => fs.existsSync(c));
    if (resolved === undefined) {
        throw new Error(
            `image-release: cannot find module ${modulePath} (also looked in ${roots.slice(1).join(", ")})`,
        );
    }
    if (resolved.endsWith(".ts") && !nodeRequire.extensions[".ts"]) {
        const tsNodePath = nodeRequire.resolve("ts-node", { paths: [modulePath, process.cwd()] });
        (nodeRequire(tsNodePath) as typeof import("ts-node")).register({ transpileOnly: true });
    }
    return nodeRequire(resolved) as T;
}
