import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { malformedYamlError, notAConfigMapError, StackConfigError, StackImageConfig } from "./model";
import { validateStackConfig } from "./validate";
import { readStackFile, StackFileSnapshot } from "./write";

export function stackFile(stacksDir: string, stack: string): string {
    return path.join(stacksDir, `Pulumi.${stack}.yaml`);
}

/** Stack names from the `Pulumi.<stack>.yaml` files in `stacksDir`, sorted. */
export function listStacks(stacksDir: string): string[] {
    if (!fs.existsSync(stacksDir)) {
        return [];
    }
    return fs
        .readdirSync(stacksDir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/**
 * The `config:` map of a stack file as its author wrote it: every scalar is its source text as a
 * string (`gitSha: 1234567` is "1234567", `verifyDigest: true` is "true", `version: 1.10` keeps its
 * zero), while lists and maps stay structured. The YAML failsafe schema is exactly that. (The engine
 * reads the file with yaml.v3, which makes number-like plain scalars numbers: `validateEngineStackConfig`
 * explains those.)
 */
export function parseStackConfigText(file: string, text: string): Record<string, unknown> {
    return parseStackFileText(file, text).config;
}

/**
 * The whole stack file, read as `parseStackConfigText` reads its config: `top` holds the keys beside
 * `config:` that Pulumi writes itself (`encryptionsalt`, `secretsprovider`, `encryptedkey`).
 */
export function parseStackFileText(
    file: string,
    text: string,
): { config: Record<string, unknown>; top: Record<string, unknown> } {
    const doc = YAML.parseDocument(text, { prettyErrors: true, schema: "failsafe" });
    if (doc.errors.length > 0) {
        throw malformedYamlError(file, doc.errors[0]);
    }
    const root: unknown = doc.toJS();
    // An empty file (or one holding only comments) is an empty stack, as Pulumi treats it.
    if (root === null || root === undefined || root === "") {
        return { config: {}, top: {} };
    }
    const config = (root as Record<string, unknown>).config;
    if (
        typeof root !== "object" ||
        Array.isArray(root) ||
        (config !== undefined &&
            config !== "" &&
            (typeof config !== "object" || config === null || Array.isArray(config)))
    ) {
        throw notAConfigMapError(file);
    }
    const top = Object.fromEntries(Object.entries(root).filter(([k]) => k !== "config"));
    return {
        config: typeof config === "object" && config !== null ? (config as Record<string, unknown>) : {},
        top,
    };
}

export function readStackConfig(stacksDir: string, stack: string): StackImageConfig {
    return readStackSnapshot(stacksDir, stack).config;
}

/**
 * One read of the file serves both the config and the hash a later write is checked against, so a
 * change that lands after this read can never be mistaken for what the config was parsed from.
 */
export function readStackSnapshot(
    stacksDir: string,
    stack: string,
): { config: StackImageConfig; snapshot: StackFileSnapshot } {
    const file = stackFile(stacksDir, stack);
    if (!fs.existsSync(file)) {
        throw new StackConfigError(
            `stack "${stack}" has no config file ${file} (known stacks: ${listStacks(stacksDir).join(", ")})`,
        );
    }
    const snapshot = readStackFile(file);
    const config = validateStackConfig(stack, file, parseStackConfigText(file, snapshot.text));
    return { config, snapshot };
}

/**
 * The program's read of its stack: `config` is what the engine handed over (every value a string, a
 * structured one as JSON already decoded), checked against the stack file's own text when the file is
 * there, so a value Pulumi's YAML reader took as a number (`gitSha: 0123456`, which it makes 42798) is
 * named as the user wrote it, with the quoting that fixes it. `secretKeys` are the keys the engine
 * holds as secrets (it hands them over decrypted).
 */
export function validateEngineStackConfig(
    stack: string,
    file: string,
    config: Record<string, unknown>,
    secretKeys: readonly string[] = [],
): StackImageConfig {
    let source: string | undefined;
    try {
        source = fs.readFileSync(file, "utf8");
    } catch {
        // No file to compare with (config from elsewhere): the values are checked as they came.
    }
    return validateStackConfig(stack, file, config, { source, secretKeys });
}
