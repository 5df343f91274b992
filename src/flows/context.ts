import * as fs from "fs";
import * as path from "path";
import { RegistryClient } from "../registry";
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
import { requiredSignature, SigningError, VerifiedSignature } from "../signing";

export interface CliDeps {
    client: RegistryClient;
}

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
    return path.join(repoRoot, ".image-release", "outputs");
}

export function outputsFile(repoRoot: string, stack: string): string {
    return path.join(outputsDir(repoRoot), `${stack}.json`);
}

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

/** The target stack's signature rule for a digest (in the repository that holds it now), as a CLI error. */
export async function signatureFor(
    deps: CliDeps,
    stack: StackImageConfig,
    repoRoot: string,
    repository: string,
    digest: string,
): Promise<VerifiedSignature | undefined> {
    try {
        return await requiredSignature(deps.client, stack, repoRoot, repository, digest);
    } catch (e) {
        if (e instanceof SigningError) throw new Refusal(e.message);
        throw e;
    }
}

/** The PR's evidence line for a verified signature. */
export function signedEvidence(s: VerifiedSignature): string {
    return `signed by trusted key ${s.keyId} (${s.keySource}); \`cosign verify --key ${s.keySource}\` accepts it`;
}

/** `sha256:` and 12 hex chars for tables and commit titles; "-" when there is no digest. */
export function digestPrefix(d: string | undefined): string {
    return d ? d.slice(0, 19) : "-";
}
