import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Deployment } from "@pulumi/pulumi/automation";
import { SHIPPED_REPOSITORY } from "../fixtures/checkout";
import { git } from "../fixtures/cli/repo";
import { ROOT } from "./harness";

/**
 * The committed `pulumi stack export` of a dev stack that the code from before `src/build` was renamed
 * `src/builder` deployed (test/fixtures/state/README.md says how it was made).
 */
export const FIXTURE = {
    file: path.join(ROOT, "test", "fixtures", "state", "dev-before-builder-rename.json"),
    /** The commit whose code deployed it: the last one with src/build. */
    commit: "fdfa4f6",
    repository: "127.0.0.1:5000/e2e-state-fixture/hello",
    namespace: "e2e-state-fixture-dev",
    /**
     * The example app that commit deployed (`git archive 51154ef examples/hello`, its last change then):
     * the image in the state is a build of it, whatever examples/hello holds today.
     */
    app: path.join(ROOT, "test", "fixtures", "state", "hello-app.tar"),
};

/** The app's own commit: a fixed identity and date give it the same sha in every copy. */
const APP_COMMIT_ENV = {
    GIT_AUTHOR_DATE: "2026-11-01T12:00:00Z",
    GIT_COMMITTER_DATE: "2026-11-01T12:00:00Z",
};

/**
 * Gives `dir` (a project's files) the history a real repository has across a refactor: the build
 * context examples/hello (the fixture's app, FIXTURE.app) in a commit of its own, then the rest of the
 * project. The context's newest
 * commit is what the image is a build of (its revision label, created time and git- tag), so the copy
 * of the old code and the copy of the new one build the same image, as a repository does in which the
 * refactor never touched examples/hello. Returns the app commit's sha.
 */
export function commitAppThenProject(dir: string, message: string): string {
    fs.rmSync(path.join(dir, ".git"), { recursive: true, force: true });
    fs.rmSync(path.join(dir, "examples", "hello"), { recursive: true, force: true });
    execFileSync("tar", ["-x", "-C", dir, "-f", FIXTURE.app]);
    normalizeModes(path.join(dir, "examples", "hello"));
    git(dir, ["init", "-q", "-b", "main"]);
    git(dir, ["add", "--", "examples/hello"]);
    git(dir, ["commit", "-q", "-m", "hello: the example app"], APP_COMMIT_ENV);
    git(dir, ["add", "-A"]);
    git(dir, ["commit", "-q", "-m", message]);
    return git(dir, ["rev-parse", "HEAD~1"]).trim();
}

/**
 * A file's mode is part of the image (the COPY layer) and of its context hash, and a copy's modes
 * depend on the umask of whoever made it (`git archive` writes 0775): git's own 0644/0755 for all.
 */
function normalizeModes(root: string): void {
    for (const e of fs.readdirSync(root, { withFileTypes: true })) {
        const p = path.join(root, e.name);
        if (e.isDirectory()) {
            fs.chmodSync(p, 0o755);
            normalizeModes(p);
        } else if (e.isFile()) {
            fs.chmodSync(p, fs.statSync(p).mode & 0o100 ? 0o755 : 0o644);
        }
    }
}

/** The files of `commit` of this repository in a new temp directory, node_modules shared by symlink. */
export function checkoutAt(commit: string, prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const tar = execFileSync("git", ["-C", ROOT, "archive", "--format=tar", commit], {
        maxBuffer: 512 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", dir], { input: tar });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

/** Points the shipped dev stack file at `repository` and `namespace`, as projectCopy does. */
export function pointDevStack(dir: string, repository: string, namespace: string): void {
    const file = path.join(dir, "stacks", "Pulumi.dev.yaml");
    fs.writeFileSync(
        file,
        fs
            .readFileSync(file, "utf8")
            .split(SHIPPED_REPOSITORY)
            .join(repository)
            .replace(/^(\s*image-release:namespace:) .*$/m, `$1 ${namespace}`),
    );
}

export interface StateResource {
    urn: string;
    type: string;
    id?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

export function stateResources(d: Deployment): StateResource[] {
    return (d.deployment as { resources?: StateResource[] }).resources ?? [];
}

/** The dynamic resource behind the dev stack's MultiArchImage. */
export function imageState(d: Deployment): StateResource {
    const found = stateResources(d).filter(
        (r) => r.type === "pulumi-nodejs:dynamic:Resource" && r.urn.endsWith("::hello-image"),
    );
    if (found.length !== 1) {
        throw new Error(`expected one hello-image dynamic resource in the state, found ${found.length}`);
    }
    return found[0];
}

/** The serialized provider (`__provider`): the code the engine runs for this resource's read and delete. */
export function serializedProvider(props: Record<string, unknown> | undefined): string {
    const p = props?.__provider;
    if (typeof p !== "string") throw new Error("the resource has no serialized __provider");
    return p;
}

/**
 * The checkout a serialized provider loads its modules from: the root of the `…/src/registry` (a program
 * run through ts-node, as every one before 5.0.0) or `…/dist/registry` (one run from its build) it names.
 */
export function providerRoot(provider: string): string {
    const m = /"(\/[^"]*)\/(?:src|dist)\/registry"/.exec(provider);
    if (m === null)
        throw new Error("the serialized provider names no absolute …/src/registry or …/dist/registry path");
    return m[1];
}

/**
 * The export as this run imports it: its own registry repository and namespace (every e2e run has its
 * own, so runs never share tags or cluster objects). Nothing else changes: the stack and project names
 * are the ones this project's dev stack has, and the absolute paths in the serialized providers and
 * the build context keep naming the checkout that deployed it, which no longer exists.
 */
export function forThisRun(d: Deployment, repository: string, namespace: string): Deployment {
    const text = JSON.stringify(d)
        .split(FIXTURE.repository)
        .join(repository)
        .split(FIXTURE.namespace)
        .join(namespace);
    return JSON.parse(text) as Deployment;
}
