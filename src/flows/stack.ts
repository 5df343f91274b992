import * as fs from "fs";
import { ReleaseRecord, validateReleaseRecord } from "../release";
import {
    listStacks,
    readStackSnapshot,
    StackFileSnapshot,
    StackImageConfig,
    STACK_NAME,
    stackFile,
} from "../stackconfig";
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

/** The stack's recorded `release` output (what its last run or `release` exported), if any. */
export function readOutputs(repoRoot: string, stack: string): ReleaseRecord | undefined {
    const file = outputsFile(repoRoot, stack);
    if (!fs.existsSync(file)) return undefined;
    let json: unknown;
    try {
        json = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new Refusal(`${file}: not valid JSON: ${(e as Error).message}`);
    }
    return validateReleaseRecord(json, file);
}
