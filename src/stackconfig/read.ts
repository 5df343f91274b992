import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { StackConfigError, StackImageConfig, validateStackConfig } from "./model";

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

export function readStackConfig(stacksDir: string, stack: string): StackImageConfig {
    const file = stackFile(stacksDir, stack);
    if (!fs.existsSync(file)) {
        throw new StackConfigError(
            `stack "${stack}" has no config file ${file} (known stacks: ${listStacks(stacksDir).join(", ")})`,
        );
    }
    const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"), { prettyErrors: true });
    if (doc.errors.length > 0) {
        const err = doc.errors[0];
        const line = err.linePos?.[0].line;
        const first = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        throw new StackConfigError(`${file}:${line ?? "?"}: malformed YAML: ${first}`);
    }
    const root: unknown = doc.toJS();
    if (root === null || root === undefined) {
        return validateStackConfig(stack, file, {});
    }
    const config = (root as Record<string, unknown>).config;
    if (
        typeof root !== "object" ||
        Array.isArray(root) ||
        (config !== undefined && (typeof config !== "object" || config === null || Array.isArray(config)))
    ) {
        throw new StackConfigError(`${file}: expected a map with a "config:" map at the top level`);
    }
    return validateStackConfig(stack, file, (config ?? {}) as Record<string, unknown>);
}
