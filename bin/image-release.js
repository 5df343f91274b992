#!/usr/bin/env node
// Prefer the compiled CLI; fall back to ts-node so a fresh checkout works without `npm run build`.
const fs = require("fs");
const path = require("path");
const dist = path.join(__dirname, "..", "dist", "src", "cli", "main.js");
let main;
if (fs.existsSync(dist)) {
    main = require(dist);
} else {
    require("ts-node").register({
        transpileOnly: true,
        project: path.join(__dirname, "..", "tsconfig.json"),
    });
    main = require(path.join(__dirname, "..", "src", "cli", "main.ts"));
}
main.run(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
}).then((c) => (process.exitCode = c));
