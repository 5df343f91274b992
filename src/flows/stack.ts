import * as fs from "fs";
import { ReleaseRecord, sameRepository, validateReleaseRecord } from "../release";
import {
    listStacks,
    readStackSnapshot,
    StackFileSnapshot,
    StackImageConfig,
    STACK_NAME,
    stackFile,
} from "../stackconfig";
import { pullSources } from "./pinCheck";
import { Refusal } from "./refusal";
import { toolPath } from "./toolPath";

/** Where the use cases find the stack files and the project they belong to. */
export interface StackOptions {
    stacksDir: string;
    repoRoot: string;
}

export function loadStack(o: StackOptions, stack: string): StackImageConfig {
    return loadStackSnapshot(o, stack).config;
}

/** The config and the exact text it was parsed from, for commands that later write the file. */
export function loadStackSnapshot(
    o: StackOptions,
    stack: string,
): { config: StackImageConfig; snapshot: StackFileSnapshot } {
    if (!STACK_NAME.test(stack)) {
        throw new Refusal(`invalid stack name "${stack}": use lowercase letters, digits and dashes`);
    }
    if (!fs.existsSync(stackFile(o.stacksDir, stack))) {
        throw new Refusal(
            `unknown stack "${stack}": no ${stackFile(o.stacksDir, stack)} (known stacks: ${listStacks(o.stacksDir).join(", ")})`,
        );
    }
    return readStackSnapshot(o.stacksDir, stack);
}

/** Every repository a stack may pull an image from, once each, in stack then image order. */
export function stackRepositories(stacks: StackImageConfig[]): string[] {
    const out: string[] = [];
    for (const s of stacks) {
        for (const image of Object.values(s.images)) {
            for (const r of pullSources(image)) if (!out.some((o) => sameRepository(o, r))) out.push(r);
        }
    }
    return out;
}

export function outputsDir(repoRoot: string): string {
    return toolPath(repoRoot, "outputs");
}

export function outputsFile(repoRoot: string, stack: string): string {
    return toolPath(repoRoot, "outputs", `${stack}.json`);
}

/** A set's records by image name, as `image-release release --stack <stack>` writes them. */
export function setOutputsFile(repoRoot: string, stack: string): string {
    return toolPath(repoRoot, "outputs", `${stack}.releases.json`);
}

/** A file under `.image-release/outputs/` as JSON; undefined when it does not exist. */
function readJsonFile(file: string): unknown {
    if (!fs.existsSync(file)) return undefined;
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new Refusal(`${file}: not valid JSON: ${(e as Error).message}`);
    }
}

/** The stack's recorded `release` output (what its last run or `release` exported), if any. */
export function readOutputs(repoRoot: string, stack: string): ReleaseRecord | undefined {
    const file = outputsFile(repoRoot, stack);
    const json = readJsonFile(file);
    return json === undefined ? undefined : validateReleaseRecord(json, file);
}

/** A set's recorded releases, each validated as a release record; undefined when none were written. */
export function readSetOutputs(repoRoot: string, stack: string): Record<string, ReleaseRecord> | undefined {
    const file = setOutputsFile(repoRoot, stack);
    const json = readJsonFile(file);
    if (json === undefined) return undefined;
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
        throw new Refusal(`${file}: expected a map of image name to release record`);
    }
    return Object.fromEntries(
        Object.entries(json).map(([name, r]) => [name, validateReleaseRecord(r, `${file}: ${name}`)]),
    );
}
