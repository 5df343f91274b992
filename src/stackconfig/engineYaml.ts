import * as YAML from "yaml";
import { PROJECT } from "./model";
import { Note } from "./scope";

// yaml.v3 (the engine's reader) takes these plain scalars as numbers: ints in any base (Go's
// ParseInt base 0 makes "0123456" octal), and floats written the way strconv.ParseFloat accepts them
// ("1234e56" is a float there, not in YAML 1.2).
const V3_INT = /^[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$/;
const V3_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Whether Pulumi's YAML reader (yaml.v3) takes this plain scalar as a number. */
export function readsAsNumber(text: string): boolean {
    return V3_INT.test(text) || V3_FLOAT.test(text);
}

function isMap(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The config the engine handed over, with each value it misread put back as the file wrote it. */
export interface EngineReading {
    config: Record<string, unknown>;
    /** Why, by the key's full label (`image-release:gitSha`, `image-release:images.api.gitSha`). */
    notes: Map<string, Note>;
}

/**
 * The engine reads the stack file with yaml.v3, which takes an unquoted `gitSha: 0123456` as the
 * octal number 42798, and hands the program "42798" (or, inside structured config, the JSON number).
 * The program never sees what the user wrote, so the file's own text is read again: each value whose
 * plain scalar reads as a number and comes out as different text is put back as written, with a
 * note that says what happened and how to quote it.
 */
export function engineMisreads(config: Record<string, unknown>, source: string): EngineReading {
    const notes = new Map<string, Note>();
    const doc = YAML.parseDocument(source, { schema: "failsafe" });
    if (doc.errors.length > 0) return { config, notes };
    const written = (path: string[], value: unknown, label: string): string | undefined => {
        if (typeof value !== "string" && typeof value !== "number") return undefined;
        const node = doc.getIn(["config", ...path], true);
        if (!YAML.isScalar(node) || node.type !== YAML.Scalar.PLAIN || typeof node.value !== "string") {
            return undefined;
        }
        const text = node.value;
        const got = String(value);
        if (got === text || !readsAsNumber(text)) return undefined;
        const problem = `written unquoted as ${text}, which Pulumi's YAML reader takes as the number ${got}; quote it (${JSON.stringify(text)})`;
        notes.set(label, { problem, value });
        return text;
    };
    const out: Record<string, unknown> = { ...config };
    for (const [key, value] of Object.entries(config)) {
        if (!key.startsWith(`${PROJECT}:`)) continue;
        out[key] = written([key], value, key) ?? value;
        if (key !== `${PROJECT}:images` || !isMap(value)) continue;
        const members: Record<string, unknown> = {};
        for (const [name, member] of Object.entries(value)) {
            if (!isMap(member)) {
                members[name] = member;
                continue;
            }
            const fields = { ...member };
            for (const [field, v] of Object.entries(member)) {
                fields[field] = written([key, name, field], v, `${key}.${name}.${field}`) ?? v;
            }
            members[name] = fields;
        }
        out[key] = members;
    }
    return { config: out, notes };
}
