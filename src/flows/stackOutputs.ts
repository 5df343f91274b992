import { execFile } from "child_process";
import * as path from "path";
import { code, Markdown, md, ReleaseRecord, ReleaseRuleError, validateReleaseRecord } from "../release";
import { Refusal } from "./refusal";
import { outputsFile, readOutputs, setOutputsFile } from "./stack";

/**
 * Reads a stack's `release` output as the backend holds it: `{ value }` with the output's JSON, or
 * undefined when no backend can answer for this stack (then the outputs file is the record).
 */
export type StackOutputFn = (
    repoRoot: string,
    stack: string,
    output?: StackOutputName,
) => Promise<{ value: unknown } | undefined>;

/** The outputs promote reads: a stack's first image (`release`), or every image of its set by name. */
export type StackOutputName = "release" | "releases";

/** The command a user would type; the PR evidence names it. */
export function stackOutputCommand(stack: string, output: StackOutputName = "release"): string {
    return `pulumi stack output ${output} --json --stack ${stack}`;
}

/**
 * What the Pulumi CLI says when there is no stack output to read, as opposed to one it failed to read:
 * no backend login, no project here, no such stack (never `pulumi stack init`ed in this backend, or a
 * file backend whose directory is gone), or a stack that never exported `release` (never `pulumi up`). Each falls back to the outputs file.
 */
const NO_STACK_OUTPUT = [
    /PULUMI_ACCESS_TOKEN must be set for login/,
    /not logged in/i,
    /no Pulumi\.yaml project file found/,
    /pass the fully qualified name/,
    /no stack named '[^']*' found/,
    // A `file://` backend whose directory is gone holds no stack at all (a stale login, a moved state dir).
    /unable to open bucket file:\/\/\S+: stat \S+: no such file or directory/,
    /does not have output property '(release|releases)'/,
];

/** The most a stack output may print: a release record is a few KiB, a set's a few per image. */
const MAX_BUFFER = 16 * 1024 * 1024;

/** How long a backend may take to answer before promote gives up on it (a cloud backend over the network). */
const TIMEOUT_MS = 120_000;

/**
 * The default StackOutputFn: the Pulumi CLI, run in the project root with the user's own environment
 * (backend login, PULUMI_BACKEND_URL, passphrase), exactly the command the user ran by hand before. The
 * CLI rather than the Automation API: the Automation API drives this same binary, and would add a
 * workspace (project settings, plugin checks) that reading one output does not need. No `pulumi` on
 * PATH, or one of NO_STACK_OUTPUT, falls back to the outputs file; any other failure (an unreachable
 * backend, a timeout, output that is not JSON) refuses, since the file may be stale.
 */
export function pulumiStackOutput(
    repoRoot: string,
    stack: string,
    output: StackOutputName = "release",
): Promise<{ value: unknown } | undefined> {
    const args = ["stack", "output", output, "--json", "--stack", stack, "--non-interactive"];
    const command = stackOutputCommand(stack, output);
    return new Promise((resolve, reject) => {
        execFile(
            "pulumi",
            args,
            { cwd: repoRoot, env: process.env, timeout: TIMEOUT_MS, maxBuffer: MAX_BUFFER },
            (err, stdout, stderr) => {
                if (err) {
                    if ((err as NodeJS.ErrnoException).code === "ENOENT") return resolve(undefined);
                    if (NO_STACK_OUTPUT.some((re) => re.test(stderr))) return resolve(undefined);
                    const code = (err as NodeJS.ErrnoException).code;
                    const said =
                        code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER"
                            ? `printed more than ${MAX_BUFFER / 1024 / 1024} MiB`
                            : err.killed
                              ? `no answer in ${TIMEOUT_MS / 1000}s`
                              : (stderr.split("\n").find((l) => l.startsWith("error:")) ?? stderr.trim()) ||
                                err.message;
                    return reject(new Refusal(`stack "${stack}": \`${command}\` failed: ${said}`));
                }
                try {
                    resolve({ value: JSON.parse(stdout) as unknown });
                } catch {
                    reject(
                        new Refusal(
                            `stack "${stack}": \`${command}\` printed no JSON (got "${stdout.trim().slice(0, 80)}")`,
                        ),
                    );
                }
            },
        );
    });
}

/** A stack's release record and where it was read: its real stack output, or the outputs file. */
export interface SourceRecord {
    record: ReleaseRecord;
    from: "stack output" | "outputs file";
}

/**
 * The stack's `release` record: its stack output when a backend has one, else
 * `.image-release/outputs/<stack>.json`, else undefined. A stack output that is not a release record
 * refuses, naming the stack: it is what ran, so a bad one is not papered over by an older file.
 */
export async function readSourceRecord(
    repoRoot: string,
    stack: string,
    stackOutput: StackOutputFn = pulumiStackOutput,
): Promise<SourceRecord | undefined> {
    const output = await stackOutput(repoRoot, stack);
    if (output !== undefined) {
        try {
            return {
                record: validateReleaseRecord(output.value, `stack "${stack}" output release`),
                from: "stack output",
            };
        } catch (e) {
            if (e instanceof ReleaseRuleError) throw new Refusal(e.message);
            throw e;
        }
    }
    const file = readOutputs(repoRoot, stack);
    return file === undefined ? undefined : { record: file, from: "outputs file" };
}

/** The PR's evidence that the source exported the digest: where the record was read says how much it proves. */
export function recordedEvidence(
    o: { repoRoot: string; from: string },
    recorded: ReleaseRecord,
    from: SourceRecord["from"] | undefined,
): Markdown {
    const where =
        from === "stack output"
            ? code(stackOutputCommand(o.from))
            : md`${path.relative(o.repoRoot, outputsFile(o.repoRoot, o.from))}`;
    return md`${code(o.from)} exported it as its \`release\` stack output (${where}: version ${recorded.version}, built in ${code(recorded.sourceStack)})`;
}

/**
 * A set stack's `releases` output: each image's record by name, as its last `pulumi up` exported them
 * together (dev builds them, so its stack file pins none). Undefined when no backend has the output.
 */
export async function readSourceReleases(
    repoRoot: string,
    stack: string,
    stackOutput: StackOutputFn = pulumiStackOutput,
): Promise<Record<string, ReleaseRecord> | undefined> {
    const output = await stackOutput(repoRoot, stack, "releases");
    if (output === undefined) return undefined;
    const value = output.value;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new Refusal(
            `stack "${stack}" output releases: expected a map of image name to release record (got ${JSON.stringify(value)?.slice(0, 80)})`,
        );
    }
    try {
        return Object.fromEntries(
            Object.entries(value).map(([name, record]) => [
                name,
                validateReleaseRecord(record, `stack "${stack}" output releases.${name}`),
            ]),
        );
    } catch (e) {
        if (e instanceof ReleaseRuleError) throw new Refusal(e.message);
        throw e;
    }
}

/**
 * The PR's evidence that a set ran together: the source's `releases` output holds exactly this
 * combination, or (no backend) the set's records that `image-release release` wrote.
 */
export function recordedSetEvidence(
    o: { from: string; repoRoot: string },
    names: string[],
    from: SourceRecord["from"] = "stack output",
): Markdown {
    const what = names.length === 1 ? "it" : "this combination";
    if (from === "outputs file") {
        const file = path.relative(o.repoRoot, setOutputsFile(o.repoRoot, o.from));
        return md`${code(o.from)} released ${what}: ${file} records ${names.join(", ")} (\`image-release release --stack ${o.from}\`)`;
    }
    return md`${code(o.from)} ran ${what}: its last \`pulumi up\` exported ${names.join(", ")} together (${code(stackOutputCommand(o.from, "releases"))})`;
}
