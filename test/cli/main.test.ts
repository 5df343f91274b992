import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Command, CommanderError } from "commander";
import { cliProgram } from "../../src/cli";
import { exitCodeOf } from "../../src/cli/exitCode";
import { Refusal, UsageRefusal } from "../../src/flows";
import { RegistryClient } from "../../src/registry";
import { runCli, runIn } from "../helpers/cli";

const VERSION = (
    JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as {
        version: string;
    }
).version;

describe("cli: the program itself", () => {
    it("--version (and -V) prints package.json's version and exits 0", async () => {
        for (const flag of ["--version", "-V"]) {
            const r = await runCli([flag]);
            assert.deepStrictEqual([r.code, r.stdout, r.stderr], [0, `${VERSION}\n`, ""], flag);
        }
    });

    it("a command's own --version is its flag, not the program's", async () => {
        const r = await runIn(["tags", "--version", "2.0.1", "--git-sha", "abcdef0123"]);
        assert.deepStrictEqual([r.code, r.stdout, r.stderr], [0, "2.0.1\n2.0\n2\ngit-abcdef0\n", ""]);
    });

    it("promote --help describes every option", async () => {
        const r = await runCli(["promote", "--help"]);
        assert.deepStrictEqual(
            [r.code, r.stderr, r.stdout],
            [
                0,
                "",
                [
                    "Usage: image-release promote [options]",
                    "",
                    "pin the source stack's digest in the target stack",
                    "",
                    "Options:",
                    "  --from <stack>        stack whose digest is promoted: its pin, else its",
                    "                        release record in .image-release/outputs/",
                    "  --to <stack>          stack whose pin is written; its",
                    "                        image-release:promoteFrom names --from",
                    "  --image <name>        move this image of a set alone (default: the whole set",
                    "                        as one unit)",
                    "  --dry-run             print the diff of the stack file, write nothing",
                    "  --retag               also move the target stack's channel tag in the",
                    "                        registry",
                    "  --git                 commit the change on a new branch and write the pull",
                    "                        request text",
                    "  --stacks-dir <dir>    directory holding Pulumi.<stack>.yaml, relative to",
                    '                        --repo-root (default: "stacks")',
                    "  --repo-root <dir>     git repository root (its history is what rollback and",
                    '                        history read) (default: ".")',
                    "  --json                machine-readable output on stdout",
                    "  --deadline <seconds>  the most time this command's registry metadata calls",
                    "                        (manifests, tags, tokens, referrers) may take together;",
                    "                        blob transfers are bounded by a stall timeout instead",
                    "                        (default: 120)",
                    "  -h, --help            display help for command",
                    "",
                ].join("\n"),
            ],
        );
    });

    it("every option of every command has a description", () => {
        const io = { out: () => undefined, err: () => undefined };
        const program = cliProgram({ io, deps: { client: new RegistryClient() }, exitCode: 0 });
        const commands: Command[] = [program, ...program.commands];
        const missing = commands.flatMap((c) =>
            c.options.filter((o) => !o.description).map((o) => `${c.name()} ${o.flags}`),
        );
        assert.deepStrictEqual(missing, []);
        assert.deepStrictEqual(
            program.commands.map((c) => [c.name(), c.options.length > 0]),
            [
                "tags",
                "release",
                "promote",
                "rollback",
                "status",
                "check",
                "deploy",
                "reject",
                "history",
                "notes",
                "verify",
                "gc",
            ].map((n) => [n, true]),
        );
    });
});

describe("cli: one exit code per kind of failure", () => {
    const rows: { name: string; error: unknown; code: number }[] = [
        { name: "a refusal", error: new Refusal("no"), code: 1 },
        { name: "a usage refusal (a malformed flag value)", error: new UsageRefusal("no"), code: 2 },
        { name: "any other error (registry, git, engine)", error: new Error("no"), code: 1 },
        {
            name: "commander's usage error",
            error: new CommanderError(1, "commander.unknownOption", "x"),
            code: 2,
        },
        {
            name: "commander's --help or --version",
            error: new CommanderError(0, "commander.version", "1"),
            code: 0,
        },
    ];
    for (const r of rows) {
        it(`${r.name}: ${r.code}`, () => {
            assert.strictEqual(exitCodeOf(r.error), r.code);
        });
    }

    it("an unknown option is a usage error: exit 2 and commander's message", async () => {
        const r = await runIn(["status", "--jsn"]);
        assert.deepStrictEqual(
            [r.code, r.stdout, r.stderr],
            [2, "", "error: unknown option '--jsn'\n(Did you mean --json?)\n"],
        );
    });
});

describe("cli: validate() refuses every bad flag value at once, before any flow runs", () => {
    const rows: { args: string[]; stderr: string }[] = [
        {
            args: ["tags", "--version", "", "--git-sha", " ", "--channel", "qa"],
            stderr: [
                `--version must not be empty (got "")`,
                `--git-sha must not be empty (got " ")`,
                `--channel "qa" is not one of dev, staging, prod`,
            ].join("\n"),
        },
        { args: ["status", "--repo-root", ""], stderr: `--repo-root must not be empty (got "")` },
        {
            args: ["promote", "--stacks-dir", "", "--from", "", "--to", "prod"],
            stderr: `--stacks-dir must not be empty (got "")\n--from must not be empty (got "")`,
        },
        {
            args: ["rollback", "--stack", "prod", "--to", ""],
            stderr: `--to must not be empty (got "")`,
        },
        { args: ["history", "--stack", " "], stderr: `--stack must not be empty (got " ")` },
        {
            args: ["release", "--repository", "", "--platforms", ""],
            stderr: `--repository must not be empty (got "")\n--platforms must not be empty (got "")`,
        },
        { args: ["notes", "--repository", ""], stderr: `--repository must not be empty (got "")` },
        { args: ["verify", "--repo-root", ""], stderr: `--repo-root must not be empty (got "")` },
    ];
    for (const r of rows) {
        it(`${r.args.map((a) => JSON.stringify(a)).join(" ")}: exit 2`, async () => {
            // No registry is reachable through this client: a flow that ran would fail differently.
            const dead = new RegistryClient({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
            const res = await runIn(r.args, { client: dead });
            assert.deepStrictEqual(
                [res.code, res.stdout, res.stderr],
                [2, "", `image-release: ${r.stderr}\n`],
            );
        });
    }
});
