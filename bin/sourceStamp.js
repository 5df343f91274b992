#!/usr/bin/env node
// The stamp that ties dist/ to the sources it was compiled from: a sha256 over every file under src/
// and the two tsconfig files, path by path. `npm run build` writes it (node bin/sourceStamp.js) into
// dist/.source-stamp; bin/program.js runs dist/ only when the stamp still matches the checkout.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const STAMP_FILE = path.join("dist", ".source-stamp");
const INPUTS = ["tsconfig.json", "tsconfig.build.json"];

function filesUnder(root, dir) {
    const out = [];
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = path.join(dir, e.name);
        // A policy pack's own `npm install` is not source.
        if (e.isDirectory()) {
            if (e.name !== "node_modules") out.push(...filesUnder(root, rel));
        } else if (e.isFile()) out.push(rel);
    }
    return out;
}

/** The stamp of the checkout at `root`: what a build from it now would be stamped with. */
function sourceStamp(root) {
    const hash = crypto.createHash("sha256");
    const files = [...filesUnder(root, "src"), ...INPUTS.filter((f) => fs.existsSync(path.join(root, f)))];
    for (const f of files.map((p) => p.split(path.sep).join("/")).sort()) {
        const bytes = fs.readFileSync(path.join(root, f));
        hash.update(`${f}\0${bytes.length}\0`).update(bytes);
    }
    return `sha256:${hash.digest("hex")}`;
}

/** The stamp dist/ was built with, or undefined when there is no build (or it predates stamps). */
function builtStamp(root) {
    try {
        return fs.readFileSync(path.join(root, STAMP_FILE), "utf8").trim();
    } catch {
        return undefined;
    }
}

module.exports = { STAMP_FILE, sourceStamp, builtStamp };

if (require.main === module) {
    const root = path.join(__dirname, "..");
    fs.writeFileSync(path.join(root, STAMP_FILE), `${sourceStamp(root)}\n`);
}
