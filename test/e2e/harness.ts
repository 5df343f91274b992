import * as assert from "assert";
import { execFile, execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { AUTHOR } from "../fixtures/cli/repo";

export const ROOT = path.join(__dirname, "..", "..");
export const REGISTRY = "127.0.0.1:5000";
/** Every image and index media type a HEAD must accept to see what the registry really holds. */
const MANIFEST_ACCEPT = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** What scripts/e2e.sh exports; the suite refuses to run without it rather than skip. */
export function requiredEnv(name: string): string {
    const v = process.env[name];
    if (!v) {
        throw new Error(`${name} is not set: run the e2e through \`npm run e2e\` (scripts/e2e.sh)`);
    }
    return v;
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

export function run(
    cmd: string,
    args: string[],
    cwd: string,
    env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
    return new Promise((resolve) => {
        execFile(
            cmd,
            args,
            { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
            (err, stdout, stderr) =>
                resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
    });
}

export function git(dir: string, args: string[]): string {
    return execFileSync("git", ["-C", dir, ...args], {
        encoding: "utf8",
        env: {
            ...process.env,
            GIT_AUTHOR_NAME: AUTHOR.name,
            GIT_AUTHOR_EMAIL: AUTHOR.email,
            GIT_COMMITTER_NAME: AUTHOR.name,
            GIT_COMMITTER_EMAIL: AUTHOR.email,
        },
    });
}

/** `kubectl …` against the local cluster; fails the test with kubectl's own words. */
export function kubectl(args: string[]): string {
    try {
        return execFileSync("kubectl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new Error(`kubectl ${args.join(" ")}: ${(err.stderr || err.message).trim()}`);
    }
}

/** The registry's own answer: the Docker-Content-Digest of a HEAD, or undefined on 404. */
export async function registryDigest(repository: string, reference: string): Promise<string | undefined> {
    const name = repository.slice(repository.indexOf("/") + 1);
    const host = repository.slice(0, repository.indexOf("/"));
    const r = await fetch(`http://${host}/v2/${name}/manifests/${reference}`, {
        method: "HEAD",
        headers: { Accept: MANIFEST_ACCEPT },
    });
    if (r.status === 404) return undefined;
    assert.strictEqual(r.status, 200, `HEAD ${repository}:${reference} answered ${r.status}`);
    return r.headers.get("docker-content-digest") ?? undefined;
}

/** Every tag of the repository with the digest it points at, as the registry lists them. */
export async function registryTags(repository: string): Promise<Record<string, string>> {
    const name = repository.slice(repository.indexOf("/") + 1);
    const host = repository.slice(0, repository.indexOf("/"));
    const r = await fetch(`http://${host}/v2/${name}/tags/list`);
    if (r.status === 404) return {};
    const tags = ((await r.json()) as { tags?: string[] | null }).tags ?? [];
    const out: Record<string, string> = {};
    for (const t of [...tags].sort()) out[t] = (await registryDigest(repository, t)) as string;
    return out;
}

/**
 * A throwaway git copy of this checkout (tracked and new files, not ignored ones) in which the
 * README's flows run: the stacks get this run's own repository and namespaces, so runs never share
 * registry tags or cluster objects. node_modules is shared by symlink.
 */
export function projectCopy(run: { repository: string; namespaces: Record<string, string> }): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-"));
    const files = execFileSync(
        "git",
        ["-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        {
            encoding: "utf8",
        },
    )
        .split("\0")
        .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
    for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
        fs.chmodSync(path.join(dir, f), fs.statSync(path.join(ROOT, f)).mode);
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    for (const [stack, ns] of Object.entries(run.namespaces)) {
        const f = path.join(dir, "stacks", `Pulumi.${stack}.yaml`);
        const text = fs
            .readFileSync(f, "utf8")
            .split("127.0.0.1:5000/image-release/hello")
            .join(run.repository)
            .replace(/^(\s*image-release:namespace:) .*$/m, `$1 ${ns}`);
        fs.writeFileSync(f, text);
    }
    git(dir, ["init", "-q", "-b", "main"]);
    git(dir, ["config", "user.name", AUTHOR.name]);
    git(dir, ["config", "user.email", AUTHOR.email]);
    git(dir, ["add", "-A"]);
    git(dir, ["commit", "-q", "-m", "checkout for the e2e"]);
    return dir;
}

export function uniqueRun(): { id: string; repository: string; namespaces: Record<string, string> } {
    const id = randomBytes(3).toString("hex");
    return {
        id,
        repository: `${REGISTRY}/e2e-${id}/hello`,
        namespaces: { dev: `e2e-${id}-dev`, staging: `e2e-${id}-staging`, prod: `e2e-${id}-prod` },
    };
}

/** The engine's environment: file backend and passphrase secrets in temp dirs, the local cluster. */
export function engineEnv(stateDir: string): Record<string, string> {
    return {
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: "e2e-only-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_HOME: requiredEnv("PULUMI_HOME"),
        KUBECONFIG: requiredEnv("KUBECONFIG"),
        PATH: requiredEnv("PATH"),
    };
}

export async function stack(workDir: string, stackName: string, stateDir: string): Promise<Stack> {
    return LocalWorkspace.createOrSelectStack({ stackName, workDir }, { envVars: engineEnv(stateDir) });
}

/** The Automation API's CommandError keeps the CLI's stderr and stdout in its message. */
export async function expectFailure(p: Promise<unknown>): Promise<string> {
    try {
        await p;
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("expected the Pulumi command to fail, and it succeeded");
}

/** Step timings for the closing table. */
export const timings: { step: string; seconds: number }[] = [];
