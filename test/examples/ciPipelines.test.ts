import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const CI = path.join(__dirname, "..", "..", "examples", "ci");
const GITHUB = path.join(CI, "github");
const GITLAB = path.join(CI, "gitlab", ".gitlab-ci.yml");

/** One command a pipeline runs, where it runs it, and the lock that job holds. */
interface Invocation {
    file: string;
    job: string;
    /** As written, one shell command (quotes kept). */
    raw: string;
    /** Subcommand and flags with CI variable syntax normalised: see `normalise`. */
    command: string;
    lock?: string;
}

/**
 * The two CIs name the same values differently: GitHub's `${{ github.sha }}` is GitLab's
 * `$CI_COMMIT_SHA`. Values a team sets have the same name in both (`$GC_OLDER_THAN`).
 */
const SAME_VALUE: [RegExp, string][] = [
    [/^\$\{\{github\.event\.before\}\}$|^\$CI_COMMIT_BEFORE_SHA$/, "<before>"],
    [/^\$\{\{github\.sha\}\}$|^\$CI_COMMIT_SHA$/, "<sha>"],
    [/^\$\{\{env\.([A-Z_]+)\}\}$/, "$$$1"],
];

/**
 * Where a branch goes is the CI's own business: GitLab pushes to its `proposals` remote with the push
 * options that open a merge request; GitHub pushes to origin and opens the pull request with `gh`.
 */
const CI_ONLY_FLAGS = new Set(["--remote", "--push-option"]);

/** pulumi/actions runs `up` non-interactively; a shell line says so with these flags. */
const IMPLIED_BY_PULUMI_ACTIONS = new Set(["--yes", "--non-interactive"]);

/**
 * Splits one shell command into words: double or single quotes group, and are dropped; a GitHub
 * expression is one word, written without its inner spaces (`${{github.sha}}`).
 */
function words(cmd: string): string[] {
    const compact = cmd.replace(/\$\{\{\s*(.*?)\s*\}\}/g, "${{$1}}");
    return [...compact.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

function normalise(tokens: string[]): string {
    const out: string[] = [];
    for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i];
        if (CI_ONLY_FLAGS.has(t)) {
            i++;
            continue;
        }
        if (IMPLIED_BY_PULUMI_ACTIONS.has(t)) continue;
        const rule = SAME_VALUE.find(([re]) => re.test(t));
        out.push(rule ? t.replace(rule[0], rule[1]) : t);
    }
    return out.join(" ");
}

/**
 * Every `image-release` and `pulumi` command in a script: each line of a `run:` or `script:` entry, cut
 * at a pipe, `;`, `&&`, `||` or a redirect (`> proposals.json` is where the output goes, not the command).
 */
function commandsIn(script: string): { raw: string; tokens: string[] }[] {
    const found: { raw: string; tokens: string[] }[] = [];
    for (const line of script.split("\n")) {
        for (const part of line.split(/\|\||&&|[|;]/)) {
            const cmd = part.replace(/\s+\d?>.*$/, "").trim();
            const m = /^(npx --no-install image-release|image-release|pulumi)\s(.*)$/.exec(cmd);
            if (m === null) continue;
            const tool = m[1].endsWith("image-release") ? "image-release" : "pulumi";
            found.push({ raw: cmd, tokens: [tool, ...words(m[2])] });
        }
    }
    return found;
}

interface GitHubStep {
    uses?: string;
    run?: string;
    with?: Record<string, string | number>;
}
interface GitHubJob {
    concurrency?: { group: string };
    steps: GitHubStep[];
}

function githubInvocations(): Invocation[] {
    const out: Invocation[] = [];
    for (const file of fs.readdirSync(GITHUB).sort()) {
        const wf = parse(fs.readFileSync(path.join(GITHUB, file), "utf8")) as {
            jobs: Record<string, GitHubJob>;
        };
        for (const [job, j] of Object.entries(wf.jobs)) {
            const lock = j.concurrency?.group;
            for (const step of j.steps) {
                if (step.uses?.startsWith("pulumi/actions@") && step.with?.command !== undefined) {
                    const tokens = [
                        "pulumi",
                        String(step.with.command),
                        "--stack",
                        String(step.with["stack-name"]),
                    ];
                    out.push({ file, job, raw: `uses: ${step.uses}`, command: normalise(tokens), lock });
                }
                for (const c of commandsIn(step.run ?? "")) {
                    out.push({ file, job, raw: c.raw, command: normalise(c.tokens), lock });
                }
            }
        }
    }
    return out;
}

function gitlabInvocations(): Invocation[] {
    const doc = parse(fs.readFileSync(GITLAB, "utf8")) as Record<
        string,
        { script?: string[]; resource_group?: string }
    >;
    const out: Invocation[] = [];
    for (const [job, j] of Object.entries(doc)) {
        if (job.startsWith(".") || j.script === undefined) continue;
        for (const c of commandsIn(j.script.join("\n"))) {
            out.push({
                file: ".gitlab-ci.yml",
                job,
                raw: c.raw,
                command: normalise(c.tokens),
                lock: j.resource_group,
            });
        }
    }
    return out;
}

const unique = (xs: string[]) => [...new Set(xs)].sort();

/** What both pipelines run, subcommand and flags, once each. */
const EXPECTED = [
    "image-release check --stack dev",
    "image-release check --stack staging",
    "image-release deploy --from <before> --to <sha> --stack prod",
    "image-release deploy --from <before> --to <sha> --stack staging",
    "image-release deploy --propose --json",
    "image-release gc --plan --older-than $GC_OLDER_THAN --keep-history $GC_KEEP_HISTORY --out may-go.txt --json",
    "image-release status --cluster",
    "pulumi up --stack dev",
];

describe("examples/ci: the GitHub workflows and the GitLab pipeline run the same commands", () => {
    const github = githubInvocations();
    const gitlab = gitlabInvocations();

    it("the same set of image-release and pulumi commands (CI variables normalised), and exactly these", () => {
        assert.deepStrictEqual(
            [unique(github.map((i) => i.command)), unique(gitlab.map((i) => i.command))],
            [EXPECTED, EXPECTED],
        );
    });

    it("every image-release command runs the project's own CLI: npx --no-install never fetches a package of that name", () => {
        const loose = [...github, ...gitlab].filter(
            (i) =>
                i.command.startsWith("image-release") && !i.raw.startsWith("npx --no-install image-release "),
        );
        assert.deepStrictEqual(loose, []);
    });

    it("a command that names a stack holds that stack's lock: GitHub concurrency, GitLab resource_group", () => {
        const rows = (xs: Invocation[]) =>
            unique(
                xs
                    .filter((i) => / --stack /.test(i.command))
                    .map(
                        (i) => `${i.job}: ${/ --stack (\S+)/.exec(i.command)?.[1]} ${i.lock ?? "(no lock)"}`,
                    ),
            );
        assert.deepStrictEqual(
            [rows(github), rows(gitlab)],
            [
                [
                    "check-staging: staging image-release-staging",
                    "deploy-prod: prod image-release-prod",
                    "deploy-staging: staging image-release-staging",
                    "release: dev image-release-dev",
                ],
                [
                    "check-staging: staging image-release-staging",
                    "deploy-prod: prod image-release-prod",
                    "deploy-staging: staging image-release-staging",
                    "release-dev: dev image-release-dev",
                ],
            ],
        );
    });

    it("GitLab's proposals go to its proposals remote with the push options that open a merge request", () => {
        const raw = unique(gitlab.filter((i) => i.command.includes("--propose")).map((i) => i.raw));
        assert.deepStrictEqual(raw, [
            'npx --no-install image-release deploy --propose --remote proposals --push-option merge_request.create --push-option "merge_request.target=$CI_DEFAULT_BRANCH" --json',
        ]);
    });

    it("every checkout has the whole history: fetch-depth 0 on GitHub, GIT_DEPTH 0 on GitLab", () => {
        const shallow: string[] = [];
        for (const file of fs.readdirSync(GITHUB).sort()) {
            const wf = parse(fs.readFileSync(path.join(GITHUB, file), "utf8")) as {
                jobs: Record<string, GitHubJob>;
            };
            for (const [job, j] of Object.entries(wf.jobs)) {
                for (const s of j.steps) {
                    if (s.uses?.startsWith("actions/checkout@") && s.with?.["fetch-depth"] !== 0)
                        shallow.push(`${file} ${job}`);
                }
            }
        }
        const gl = parse(fs.readFileSync(GITLAB, "utf8")) as { variables: Record<string, string> };
        assert.deepStrictEqual([shallow, gl.variables.GIT_DEPTH], [[], "0"]);
    });
});

describe("examples/ci: how commands are read from a script", () => {
    const rows: [string, string[]][] = [
        [
            "npx --no-install image-release deploy --propose --json > proposals.json",
            ["image-release deploy --propose --json"],
        ],
        [
            'npx --no-install image-release deploy --from "$CI_COMMIT_BEFORE_SHA" --to "$CI_COMMIT_SHA" --stack staging',
            ["image-release deploy --from <before> --to <sha> --stack staging"],
        ],
        [
            "npx --no-install image-release deploy --from ${{ github.event.before }} --to ${{ github.sha }} --stack prod",
            ["image-release deploy --from <before> --to <sha> --stack prod"],
        ],
        ["pulumi up --stack dev --yes --non-interactive", ["pulumi up --stack dev"]],
        [
            "pulumi stack output release --json | jq .digest && image-release status",
            ["pulumi stack output release --json", "image-release status"],
        ],
        ["echo image-release check; git push origin main", []],
        ['gc --older-than "${{ env.GC_OLDER_THAN }}"', []],
        [
            'image-release gc --older-than "${{ env.GC_OLDER_THAN }}"',
            ["image-release gc --older-than $GC_OLDER_THAN"],
        ],
    ];
    for (const [script, want] of rows) {
        it(script, () => {
            assert.deepStrictEqual(
                commandsIn(script).map((c) => normalise(c.tokens)),
                want,
            );
        });
    }
});
