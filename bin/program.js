// Pulumi.yaml's `main`. The program is src/program.ts; this runs it from dist/ (compiled and
// type-checked by `npm run build`) when dist/ was built from exactly the src/ checked out here, and
// otherwise type-checks and runs src/ through ts-node, as `runtime.options.typescript: true` did, and
// says so. Type-checking the program's ~200 files at every start cost several seconds of every
// `pulumi preview` and `up`, even a no-op's: see README, "Fast pulumi up".
"use strict";
const fs = require("fs");
const path = require("path");
const { builtStamp, sourceStamp } = require("./sourceStamp");

const root = path.join(__dirname, "..");
const source = path.join(root, "src", "program.ts");
const built = path.join(root, "dist", "program.js");

function program() {
    // An installed package has no src/: its dist/ is the program.
    if (!fs.existsSync(source)) return require(built);
    const stamp = builtStamp(root);
    if (stamp !== undefined && stamp === sourceStamp(root) && fs.existsSync(built)) return require(built);
    const why = stamp === undefined ? "there is no build" : "src/ changed since the last build";
    require("@pulumi/pulumi").log.info(
        `image-release: running src/ through ts-node (${why}); \`npm run build\` makes the next start faster`,
    );
    // Pulumi's own switch for its ts-node, honoured here as Pulumi would (`typescript: false` turns it off).
    const transpileOnly = process.env.PULUMI_NODEJS_TRANSPILE_ONLY === "true" ? true : undefined;
    require("ts-node").register({ project: path.join(root, "tsconfig.json"), transpileOnly });
    return require(source);
}

module.exports = program();
