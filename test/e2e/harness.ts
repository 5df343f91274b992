import * as assert from "assert";
import { execFile, execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { copyCheckout, ROOT, SHIPPED_REPOSITORY } from "../fixtures/checkout";
import { git } from "../fixtures/cli/repo";

export { ROOT };
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

export { git };

/** `kubectl …` against the local cluster; fails the test with kubectl's own words. */
export function kubectl(args: string[]): string {
    try {
        return execFileSync("kubectl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new Error(`kubectl ${args.join(" ")}: ${(err.stderr || err.message).trim()}`);
    }
}

/** The image the app's Deployment runs in `namespace`, as the cluster has it. */
export function deploymentImage(namespace: string): string {
    return kubectl([
        "get",
        "deployment",
        "hello",
        "-n",
        namespace,
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
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
 * A throwaway git copy of this checkout in which the README's flows run: the stacks get this run's
 * own repository and namespaces, so runs never share registry tags or cluster objects.
 */
/**
 * A stack file's text with `lines` (config keys, and what nests under them) put right after its
 * `image-release:namespace:` line, at that line's indentation.
 */
export function afterNamespace(text: string, lines: string[]): string {
    return text.replace(/^(\s*)(image-release:namespace: .*)$/m, (_, indent: string, line: string) =>
        [line, ...lines].map((l) => `${indent}${l}`).join("\n"),
    );
}

/** A stack file's text with the pin's values it names replaced (a single-image stack). */
export function withPin(text: string, pin: { digest?: string; version?: string; gitSha?: string }): string {
    let out = text;
    for (const [key, value] of Object.entries(pin)) {
        if (value !== undefined)
            out = out.replace(new RegExp(`^(\\s*image-release:${key}:) .*$`, "m"), `$1 ${value}`);
    }
    return out;
}

export function projectCopy(run: { repository: string; namespaces: Record<string, string> }): string {
    return copyCheckout("image-release-e2e-", (stack, text) => {
        const ours = text
            .split(SHIPPED_REPOSITORY)
            .join(run.repository)
            .replace(/^(\s*image-release:namespace:) .*$/m, `$1 ${run.namespaces[stack]}`);
        // prod requires signed digests (its default): it trusts the test release key. It trusts the
        // test verifier key too, but takes promotions without check evidence here: verified promotion
        // has its own e2e (verified.test.ts, and the shop's set).
        return stack === "prod"
            ? afterNamespace(ours, [
                  `image-release:signingKey: ${SIGNING.pub}`,
                  `image-release:verifierKeys: ${VERIFIER.pub}`,
                  'image-release:requireVerification: "false"',
              ])
            : ours;
    });
}

/** A consumer project's tsconfig: what `pulumi new typescript` gives, resolved the CommonJS way. */
export const CONSUMER_TSCONFIG = JSON.stringify({
    compilerOptions: {
        strict: true,
        target: "ES2022",
        module: "commonjs",
        moduleResolution: "node",
        esModuleInterop: true,
    },
});

export function uniqueRun(): { id: string; repository: string; namespaces: Record<string, string> } {
    const id = randomBytes(3).toString("hex");
    return {
        id,
        repository: `${REGISTRY}/e2e-${id}/hello`,
        namespaces: { dev: `e2e-${id}-dev`, staging: `e2e-${id}-staging`, prod: `e2e-${id}-prod` },
    };
}

/** The test-only release key (test/fixtures/signing): every e2e build is signed with it. */
export const SIGNING = {
    key: path.join(ROOT, "test", "fixtures", "signing", "cosign.key"),
    password: "image-release-test-only",
    /** As prod's image-release:signingKey names it: relative to the project copy's root. */
    pub: "test/fixtures/signing/cosign.pub",
    otherPub: "test/fixtures/signing/other.pub",
    trustedRoot: "test/fixtures/signing/empty-trusted-root.json",
};

/** The test-only verifier key (test/fixtures/verifier): `check` signs its evidence with it. */
export const VERIFIER = {
    key: path.join(ROOT, "test", "fixtures", "verifier", "verifier.key"),
    /** As prod's image-release:verifierKeys names it: relative to the project copy's root. */
    pub: "test/fixtures/verifier/verifier.pub",
};

/**
 * The engine's environment: file backend and passphrase secrets in temp dirs, the local cluster, and
 * the release signing key, which the MultiArchImage provider reads from its own environment.
 */
export function engineEnv(stateDir: string): Record<string, string> {
    return {
        IMAGE_RELEASE_SIGNING_KEY: SIGNING.key,
        IMAGE_RELEASE_SIGNING_PASSWORD: SIGNING.password,
        IMAGE_RELEASE_VERIFIER_KEY: VERIFIER.key,
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

/** scripts/cluster-node.sh's node: every Pod that does not tolerate kwok's taint runs there. */
export const REAL_NODE = "real-node-0";

/**
 * Creates `ns` for Pods that cannot run (images that exit, fixtures from before the app served): the
 * API server's PodNodeSelector and PodTolerationRestriction plugins (scripts/cluster-up.sh) put every Pod
 * of a namespace with these annotations on kwok's fake node.
 */
export function kwokNamespace(ns: string): void {
    kubectl(["create", "namespace", ns]);
    kubectl([
        "annotate",
        "namespace",
        ns,
        "scheduler.alpha.kubernetes.io/node-selector=type=kwok",
        'scheduler.alpha.kubernetes.io/defaultTolerations=[{"key":"kwok.x-k8s.io/node","operator":"Exists","effect":"NoSchedule"}]',
    ]);
}

/** One Pod as the tests look at it: its first container's state and the image the node runs. */
export interface PodView {
    name: string;
    phase: string;
    node: string;
    ready: boolean;
    /** The container's `imageID`: `repo@sha256:…`, what the node pulled. */
    imageID: string;
    deleting: boolean;
    waiting?: { reason?: string; message?: string };
}

/** The Pods of `ns` that `selector` selects (e.g. `app=hello`, or `job-name=…`). */
export function podsOf(ns: string, selector: string): PodView[] {
    const list = JSON.parse(kubectl(["get", "pods", "-n", ns, "-l", selector, "-o", "json"])) as {
        items: {
            metadata: { name: string; deletionTimestamp?: string };
            spec: { nodeName?: string };
            status: {
                phase: string;
                containerStatuses?: {
                    ready: boolean;
                    imageID: string;
                    state: { waiting?: { reason?: string; message?: string } };
                }[];
            };
        }[];
    };
    return list.items.map((p) => {
        const c = p.status.containerStatuses?.[0];
        return {
            name: p.metadata.name,
            phase: p.status.phase,
            node: p.spec.nodeName ?? "",
            ready: c?.ready ?? false,
            imageID: c?.imageID ?? "",
            deleting: p.metadata.deletionTimestamp !== undefined,
            ...(c?.state.waiting ? { waiting: c.state.waiting } : {}),
        };
    });
}
