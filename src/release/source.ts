import { runGit } from "./git";
import * as fs from "fs";
import * as path from "path";

/**
 * The browsable https URL of a git remote, for `org.opencontainers.image.source`. scp-like
 * `git@host:path`, `ssh://` and `git://` remotes become `https://host/path`; credentials in an http(s)
 * remote are dropped because the label is public. Anything else (a local path, `file://`) is no source
 * URL a reader could follow, so it gives `undefined` rather than a made-up one.
 */
export function sourceUrlFromGitRemote(remote: string): string | undefined {
    const r = remote.trim();
    const tidy = (host: string, p: string): string | undefined => {
        const cleaned = p
            .replace(/^\/+/, "")
            .replace(/\/+$/, "")
            .replace(/\.git$/, "");
        return host === "" || cleaned === "" ? undefined : `https://${host}/${cleaned}`;
    };
    // scp-like `[user@]host:path`; a bare `word:path` without user or dot is more likely npm shorthand
    // (`github:user/repo`), which sourceUrlFromPackageRepository maps before calling this.
    const scp = /^([^@/\s]+@)?([^:/\s]+):(?!\/\/)(\S+)$/.exec(r);
    if (scp !== null) {
        const host = scp[2];
        return scp[1] !== undefined || host.includes(".") || host === "localhost"
            ? tidy(host, scp[3])
            : undefined;
    }
    let url: URL;
    try {
        url = new URL(r);
    } catch {
        return undefined;
    }
    if (url.protocol === "ssh:" || url.protocol === "git:" || url.protocol === "git+ssh:") {
        // The ssh/git port says nothing about where the web UI listens.
        return tidy(url.hostname, url.pathname);
    }
    if (url.protocol === "https:" || url.protocol === "http:" || url.protocol === "git+https:") {
        const scheme = url.protocol === "http:" ? "http" : "https";
        const cleaned = url.pathname.replace(/\/+$/, "").replace(/\.git$/, "");
        return cleaned === "" || cleaned === "/" ? undefined : `${scheme}://${url.host}${cleaned}`;
    }
    return undefined;
}

const SHORTHAND_HOSTS: Record<string, string> = {
    github: "github.com",
    gitlab: "gitlab.com",
    bitbucket: "bitbucket.org",
};

/**
 * The source URL of package.json's `repository` field: a string (URL, `github:user/repo` or the bare
 * `user/repo` GitHub shorthand) or `{ "url": … }`.
 * https://docs.npmjs.com/cli/v10/configuring-npm/package-json#repository
 */
export function sourceUrlFromPackageRepository(repository: unknown): string | undefined {
    const raw =
        typeof repository === "string"
            ? repository
            : typeof repository === "object" &&
                repository !== null &&
                typeof (repository as { url?: unknown }).url === "string"
              ? (repository as { url: string }).url
              : undefined;
    if (raw === undefined) {
        return undefined;
    }
    const value = raw.trim();
    const shorthand = /^(?:(github|gitlab|bitbucket):)?([\w.-]+\/[\w.-]+)$/.exec(value);
    if (shorthand !== null) {
        return `https://${SHORTHAND_HOSTS[shorthand[1] ?? "github"]}/${shorthand[2].replace(/\.git$/, "")}`;
    }
    return sourceUrlFromGitRemote(value);
}

/** Problems with an explicitly configured source: it must be an http(s) URL someone can open. */
export function configuredSourceProblem(source: string): string | undefined {
    try {
        const url = new URL(source);
        if ((url.protocol === "https:" || url.protocol === "http:") && url.username === "") {
            return undefined;
        }
    } catch {
        // falls through to the problem below
    }
    return "expected an http(s) URL without credentials";
}

/** Trimmed stdout, or undefined when git fails or prints nothing: every lookup here is optional. */
function git(dir: string, args: string[]): string | undefined {
    try {
        return runGit(dir, args).trim() || undefined;
    } catch {
        return undefined;
    }
}

/**
 * `org.opencontainers.image.source` for a build context: the configured value, else the `origin` remote
 * of the context's git repository, else the `repository` of the package.json at that repository's root.
 * `undefined` when none of them names a URL, so the `oci-labels-present` policy reports it instead of
 * the label carrying a URL nobody else can open.
 */
export function resolveImageSource(context: string, configured?: string): string | undefined {
    if (configured !== undefined) {
        return configured;
    }
    const remote = git(context, ["remote", "get-url", "origin"]);
    const fromRemote = remote !== undefined ? sourceUrlFromGitRemote(remote) : undefined;
    if (fromRemote !== undefined) {
        return fromRemote;
    }
    const root = git(context, ["rev-parse", "--show-toplevel"]) ?? context;
    const pkgFile = path.join(root, "package.json");
    if (!fs.existsSync(pkgFile)) {
        return undefined;
    }
    try {
        const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8")) as { repository?: unknown };
        return sourceUrlFromPackageRepository(pkg.repository);
    } catch {
        return undefined;
    }
}
