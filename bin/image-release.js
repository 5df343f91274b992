#!/usr/bin/env node
// In a checkout (src/ present) run the TypeScript sources through ts-node, so a stale dist/ from an
// earlier `npm run build` never shadows them; the published package ships only dist/.
const fs = require("fs");
const path = require("path");
const src = path.join(__dirname, "..", "src", "cli", "main.ts");
let main;
if (fs.existsSync(src)) {
    require("ts-node").register({
        transpileOnly: true,
        project: path.join(__dirname, "..", "tsconfig.json"),
    });
    main = require(src);
} else {
    main = require(path.join(__dirname, "..", "dist", "cli", "main.js"));
}
main.run(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
}).then((c) => (process.exitCode = c));
