#!/usr/bin/env node
import * as path from "path";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { publishImage } from "../builder";
import { RegistryClient } from "../registry";
import {
    CliDeps,
    history,
    notes,
    promote,
    Refusal,
    UsageRefusal,
    release,
    RELEASE_DEFAULTS,
    renderNotes,
    rollback,
    status,
    tags,
    verify,
} from "../flows";
import { renderHistory, renderRelease, renderPin, renderStatus, renderTags, renderVerify } from "./output";

interface Io {
    out: (s: string) => void;
    err: (s: string) => void;
}

function common(cmd: Command): Command {
    return cmd
        .option("--stacks-dir <dir>", "directory holding Pulumi.<stack>.yaml", "stacks")
        .option("--repo-root <dir>", "git repository root", ".")
        .option("--json", "machine-readable output");
}

type Opts = Record<string, string | boolean | number | undefined> & {
    stacksDir: string;
    repoRoot: string;
    json?: boolean;
};

/** Digits only: Number() would also take "1.5", "1e3" or "" (as 0), and NaN silently ran nothing. */
export function parseConcurrency(v: string): number {
    if (!/^[0-9]+$/.test(v) || Number(v) < 1) {
        throw new InvalidArgumentError(`--concurrency must be an integer >= 1 (got "${v}")`);
    }
    return Number(v);
}

function dirs(o: Opts) {
    const repoRoot = path.resolve(o.repoRoot);
    return { repoRoot, stacksDir: path.resolve(repoRoot, o.stacksDir) };
}

/** Returns the exit code; never calls process.exit so tests can run it in-process. */
export async function run(argv: string[], io: Io, deps?: CliDeps): Promise<number> {
    const d: CliDeps = deps ?? {
        client: new RegistryClient({
            retry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 500 },
            timeoutMs: 5000,
        }),
    };
    const emit = (json: boolean | undefined, value: unknown, human: string) =>
        io.out(json ? JSON.stringify(value, null, 2) + "\n" : human);
    let code = 0;
    const program = new Command("image-release")
        .exitOverride()
        .configureOutput({ writeOut: io.out, writeErr: io.err });

    common(program.command("tags").description("print the tag set"))
        .option("--version <v>")
        .option("--git-sha <sha>")
        .option("--channel <c>")
        .action(async (o: Opts) => {
            const t = await tags({
                repoRoot: dirs(o).repoRoot,
                version: o.version as string | undefined,
                gitSha: o.gitSha as string | undefined,
                channel: o.channel as string | undefined,
            });
            emit(o.json, t, renderTags(t));
        });
    common(program.command("release").description("build, push the tag set, record the release"))
        .option("--context <dir>", "build context", RELEASE_DEFAULTS.context)
        .option("--repository <repo>", "target repository", RELEASE_DEFAULTS.repository)
        .option("--platforms <list>", "comma-separated", RELEASE_DEFAULTS.platforms.join(","))
        .option("--version <v>", "default: package.json version")
        .option(
            "--channel <c>",
            "channel tag and outputs file (only dev: staging and prod come by promote)",
            RELEASE_DEFAULTS.channel,
        )
        .option("--force", "move X.Y.Z and git- tags that already point at another digest")
        .option(
            "--mirror <repo...>",
            "also put the build (same digest and tags) in these repositories, any registry",
        )
        .action(async (o: Opts) => {
            const r = await release(
                {
                    ...dirs(o),
                    context: o.context as string,
                    repository: o.repository as string,
                    platforms: (o.platforms as string).split(","),
                    version: o.version as string | undefined,
                    channel: o.channel as string,
                    force: !!o.force,
                    ...(o.mirror !== undefined ? { mirrors: o.mirror as unknown as string[] } : {}),
                },
                { ...d, publish: publishImage, onProgress: (l) => io.err(`image-release: ${l}\n`) },
            );
            emit(o.json, r, renderRelease(r));
        });
    const pinFlags = (c: Command) =>
        c
            .option("--dry-run", "print the diff, write nothing")
            .option("--retag", "move the target's channel tag in the registry")
            .option("--git", "create a branch and commit");
    pinFlags(
        common(program.command("promote").description("pin the source stack's digest in the target stack")),
    )
        .requiredOption("--from <stack>")
        .requiredOption("--to <stack>")
        .action(async (o: Opts) => {
            const r = await promote(
                {
                    ...dirs(o),
                    from: o.from as string,
                    to: o.to as string,
                    dryRun: !!o.dryRun,
                    retag: !!o.retag,
                    git: !!o.git,
                },
                d,
            );
            emit(o.json, r, renderPin(r, !!o.dryRun));
        });
    pinFlags(
        common(program.command("rollback").description("pin an earlier digest from the stack's git history")),
    )
        .requiredOption("--stack <stack>")
        .option("--to <digest|version|steps>")
        .action(async (o: Opts) => {
            const r = await rollback(
                {
                    ...dirs(o),
                    stack: o.stack as string,
                    to: o.to as string | undefined,
                    dryRun: !!o.dryRun,
                    retag: !!o.retag,
                    git: !!o.git,
                },
                d,
            );
            emit(o.json, r, renderPin(r, !!o.dryRun));
        });
    common(program.command("status").description("every stack's pin, channel tag and drift"))
        .option("--concurrency <n>", "parallel registry calls (integer >= 1)", parseConcurrency, 16)
        .action(async (o: Opts) => {
            const r = await status({ ...dirs(o), concurrency: o.concurrency as number }, d);
            emit(o.json, r, renderStatus(r));
            if (r.some((x) => x.error)) code = 1;
        });
    common(program.command("history").description("every digest a stack ran, from git"))
        .requiredOption("--stack <stack>")
        .action(async (o: Opts) => {
            const r = await history({ ...dirs(o), stack: o.stack as string });
            emit(o.json, r, renderHistory(r));
        });
    common(program.command("notes").description("release notes in Markdown and JSON"))
        .option("--version <v>", "default: package.json version")
        .option("--repository <repo>", "default: the first stack's repository")
        .action(async (o: Opts) => {
            const r = await notes(
                {
                    ...dirs(o),
                    version: o.version as string | undefined,
                    repository: o.repository as string | undefined,
                },
                d,
            );
            emit(o.json, r, renderNotes(r));
        });
    common(program.command("verify").description("check tags and pins"))
        .option("--version <v>")
        .action(async (o: Opts) => {
            const r = await verify({ ...dirs(o), version: o.version as string | undefined }, d);
            emit(o.json, r, renderVerify(r));
            if (!r.ok) code = 1;
        });

    try {
        await program.parseAsync(argv, { from: "user" });
        return code;
    } catch (e) {
        if (e instanceof CommanderError) {
            return e.exitCode === 0 ? 0 : 2;
        }
        io.err(`image-release: ${(e as Error).message}\n`);
        return e instanceof UsageRefusal ? 2 : e instanceof Refusal ? 1 : 1;
    }
}

if (require.main === module) {
    void run(process.argv.slice(2), {
        out: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s),
    }).then((c) => (process.exitCode = c));
}
