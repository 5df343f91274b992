import * as fs from "fs";
import * as YAML from "yaml";

/** A shipped stack file's config (`stacks/Pulumi.<stack>.yaml`) with `overrides` on top, as the engine hands it over. */
export function shippedConfig(
    stack: string,
    overrides: Record<string, unknown> = {},
): Record<string, string> {
    const doc = YAML.parse(fs.readFileSync(`stacks/Pulumi.${stack}.yaml`, "utf8")) as {
        config: Record<string, unknown>;
    };
    return Object.fromEntries(
        Object.entries({ ...doc.config, ...overrides }).map(([k, v]) => [
            k,
            typeof v === "string" ? v : JSON.stringify(v),
        ]),
    );
}
