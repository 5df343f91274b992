import { isStackName, showValue, STACK_NAME } from "../release";
import { engineMisreads } from "./engineYaml";
import { imageOf, memberScopes, singleImageName } from "./images";
import { IMAGE_ROWS, KEY_TABLE } from "./keys";
import { PinnedImage, PROJECT, StackConfigError, StackImageConfig } from "./model";
import { KeyRow, readRows } from "./rows";
import { Report, Scope, StackScope } from "./scope";

const ROWS: readonly KeyRow[] = KEY_TABLE;
const KNOWN = ROWS.map((r) => r.key);

export interface ValidateOptions {
    /**
     * The stack file's own text, when `config` is what the engine handed the program: it names what
     * the user wrote for a value Pulumi's YAML reader took as a number (`gitSha: 0123456`).
     */
    source?: string;
    /**
     * The keys the engine holds as secrets, when `config` is what it handed the program (decrypted):
     * a pull password must be one of them. Without it, `config` is the stack file's own text, where a
     * secret is its ciphertext, `{secure: v1:…}`.
     */
    secretKeys?: readonly string[];
}

// Other namespaces (kubernetes:, pulumi:) belong to other tools.
function unknownKeys(config: Record<string, unknown>, top: Scope): void {
    for (const key of Object.keys(config)) {
        const name = key.slice(PROJECT.length + 1);
        if (key.startsWith(`${PROJECT}:`) && !KNOWN.includes(name)) {
            top.bad(name, `unknown key (known: ${KNOWN.join(", ")})`, config[key]);
        }
    }
}

/** A file pins either with the single-image keys or with `image-release:images`, never both. */
function singleKeysBesideSet(top: Scope): void {
    for (const row of IMAGE_ROWS.filter((r) => r.image === "own")) {
        const value = top.get(row.key);
        if (value === undefined) continue;
        top.bad(
            row.key,
            `not allowed with ${top.label("images")}; set it per image, as ${top.label(`images.<name>.${row.key}`)}`,
            value,
        );
    }
}

/** The validated config: the stack's keys, and the images (the single-image fields hold the first). */
function configOf(top: Scope, file: string, set: boolean): StackImageConfig {
    const out: Record<string, unknown> = { stack: top.stack, file };
    for (const row of ROWS) {
        const value = top.values[row.key];
        if (row.key === "images" || (set && row.image !== undefined) || value === undefined) continue;
        out[row.field ?? row.key] = value;
    }
    const images: Record<string, PinnedImage> = set
        ? (top.values.images as Record<string, PinnedImage>)
        : { [singleImageName(top.values.repository as string)]: imageOf(top.values, IMAGE_ROWS) };
    if (set) Object.assign(out, images[Object.keys(images).sort()[0]]);
    return { ...(out as unknown as StackImageConfig), images, form: set ? "set" : "single" };
}

/**
 * Checks a stack's `image-release:*` config against the key table and returns it typed, or throws one
 * StackConfigError that lists every problem, one line each, in the table's order.
 */
export function validateStackConfig(
    stack: string,
    file: string,
    config: Record<string, unknown>,
    options: ValidateOptions = {},
): StackImageConfig {
    const reading =
        options.source === undefined ? { config, notes: undefined } : engineMisreads(config, options.source);
    const cfg = reading.config;
    const secrets = options.secretKeys === undefined ? undefined : new Set(options.secretKeys);
    const report = new Report(file, reading.notes, secrets);
    if (!isStackName(stack)) {
        report.problems.push(
            `${file}: stack name must match ${STACK_NAME.source} (got "${showValue(stack)}")`,
        );
    }
    const set = cfg[`${PROJECT}:images`] !== undefined;
    const top: Scope = new StackScope(stack, report, cfg, () =>
        set ? memberScopes(top, cfg[`${PROJECT}:images`]) : [top],
    );
    unknownKeys(cfg, top);
    if (set) singleKeysBesideSet(top);
    readRows(
        top,
        ROWS.filter((r) => !set || r.image !== "own"),
    );
    if (report.problems.length > 0) {
        throw new StackConfigError(report.problems.join("\n"), report.problems);
    }
    return configOf(top, file, set);
}
