import * as fs from "fs";
import * as path from "path";
import * as semver from "semver";
import { ReleaseRuleError } from "./errors";

/**
 * Semver as written in a release: optional leading "v", then strict semver. `semver.valid` alone also
 * accepts "=1.2.3" and surrounding spaces, which would then leak into tags.
 */
export function isSemver(version: string): boolean {
    return /^v?[0-9]/.test(version) && version.trim() === version && semver.valid(version) !== null;
}

function readJson(file: string): unknown {
    const text = fs.readFileSync(file, "utf8");
    try {
        return JSON.parse(text) as unknown;
    } catch (e) {
        throw new ReleaseRuleError(`${file}: not valid JSON: ${(e as Error).message}`);
    }
}

/**
 * The release version of a project: `version.json` ({"version": "..."}) wins over `package.json` so that
 * non-Node apps can carry a version without pretending to be an npm package.
 */
export function readVersion(dir: string): string {
    for (const name of ["version.json", "package.json"]) {
        const file = path.join(dir, name);
        if (!fs.existsSync(file)) {
            continue;
        }
        const doc = readJson(file);
        const version =
            typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>).version : undefined;
        if (typeof version !== "string") {
            throw new ReleaseRuleError(
                `${file}: "version" must be a string (got ${JSON.stringify(version)})`,
            );
        }
        if (!isSemver(version)) {
            throw new ReleaseRuleError(`${file}: version "${version}" is not a semver version`);
        }
        return version;
    }
    throw new ReleaseRuleError(`no version.json or package.json in ${dir}`);
}

/**
 * The version a build context is released as: the one the stack gives it, else its own version.json or
 * package.json, else the project's (`root`). One rule for `pulumi up` in dev and `image-release release`.
 */
export function buildVersion(given: string | undefined, context: string, root: string): string {
    if (given !== undefined) return given;
    const own = ["version.json", "package.json"].some((f) => fs.existsSync(path.join(context, f)));
    return readVersion(own ? context : root);
}
