import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { pulumiLoginProblems } from "../release";
import { Refusal } from "./refusal";

/** Where the Pulumi CLI keeps its login: PULUMI_HOME, or ~/.pulumi. */
function pulumiHome(env: Record<string, string | undefined>): string {
    return env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
}

/** A JSON or YAML file as a map; absent or unreadable is undefined (then it says nothing). */
function readMap(file: string): Record<string, unknown> | undefined {
    try {
        const v: unknown = YAML.parse(fs.readFileSync(file, "utf8"));
        return typeof v === "object" && v !== null && !Array.isArray(v)
            ? (v as Record<string, unknown>)
            : undefined;
    } catch {
        return undefined;
    }
}

/** `pulumi login`'s record: the current backend, and every backend it holds an access token for. */
function loginRecord(env: Record<string, string | undefined>): { current?: string; tokens: string[] } {
    const c = readMap(path.join(pulumiHome(env), "credentials.json"));
    const tokens = c?.accessTokens;
    return {
        ...(typeof c?.current === "string" ? { current: c.current } : {}),
        tokens: typeof tokens === "object" && tokens !== null ? Object.keys(tokens) : [],
    };
}

/** The stacks about to run, with the keys their stack file keeps beside `config:`. */
export interface LoginStack {
    stack: string;
    file: string;
    top: Record<string, unknown>;
}

/**
 * Refuses, before anything runs, when the Pulumi CLI could not open these stacks unattended: one line
 * per missing piece (backend, login, passphrase), each naming what to set.
 */
export function refuseMissingLogin(
    repoRoot: string,
    stacks: LoginStack[],
    env: Record<string, string | undefined> = process.env,
): void {
    const project = readMap(path.join(repoRoot, "Pulumi.yaml"))?.backend as { url?: unknown } | undefined;
    const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
    const problems = pulumiLoginProblems({
        env,
        ...(typeof project?.url === "string" ? { projectBackend: project.url } : {}),
        login: loginRecord(env),
        passphraseFileExists: file !== undefined && file !== "" && fs.existsSync(file),
        stacks: stacks.map((s) => ({
            stack: s.stack,
            file: s.file,
            encryptionsalt: typeof s.top.encryptionsalt === "string",
            ...(typeof s.top.secretsprovider === "string" ? { secretsprovider: s.top.secretsprovider } : {}),
        })),
    });
    if (problems.length > 0) throw new Refusal(`${problems.join("\n")}\nnothing deployed`);
}
