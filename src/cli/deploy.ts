import { deploy, DeployedStack, DeployResult, propose, ProposeResult } from "../flows";
import { signingKeyFromEnv, VERIFIER_KEY_ENV } from "../signing";
import { defineCommand } from "./action";
import { renderCheck } from "./check";
import { CommonOptions, stackDirs } from "./commonOptions";
import { collect, ProposeFlags, proposeProblems, renderProposals } from "./propose";
import { terminalText } from "./terminal";

export interface DeployFlags extends CommonOptions, ProposeFlags {
    from?: string;
    to?: string;
    main?: string;
    dryRun?: true;
    allowConfigChanges?: true;
    onFailure?: string;
    stack?: string[];
}

/** `<from>..<to>`; either end may hold single dots (a tag v1.2.0), never `...` (a merge base, not a range). */
const RANGE = /^(?!.*\.\.\.)(\S+?)\.\.(\S+)$/;

/** Where CI systems keep the two ends of a push, for the refusal that asks for them. */
const CI_HINT =
    "GitHub: --from ${{ github.event.before }} --to ${{ github.sha }}; GitLab: --from $CI_COMMIT_BEFORE_SHA --to $CI_COMMIT_SHA";

/**
 * The merge's range from `<from>..<to>` or `--from`/`--to`; problems when it is neither, both or
 * malformed. `--propose` alone (the scheduled job) has none: undefined.
 */
export function rangeOf(o: DeployFlags): { from: string; to: string } | string[] | undefined {
    const arg = o.args?.[0];
    const flags = o.from !== undefined || o.to !== undefined;
    if (arg === undefined && !flags && o.propose === true) return undefined;
    if (arg !== undefined && flags) return [`give the range once: ${arg} or --from/--to, not both`];
    if (arg !== undefined) {
        const m = RANGE.exec(arg);
        return m === null
            ? [`"${arg}" is not a commit range: expected <from>..<to>`]
            : { from: m[1], to: m[2] };
    }
    if (o.from === undefined || o.to === undefined) {
        return [
            flags
                ? "--from and --to go together: the commit before the merge and the merged commit"
                : `give the merge's commit range: <from>..<to>, or --from <sha> --to <sha> (${CI_HINT})`,
        ];
    }
    return { from: o.from, to: o.to };
}

function stackLines(s: DeployedStack): string[] {
    const outcome = s.outcome === "failed" ? "FAILED" : s.outcome;
    const lines = [`${s.stack} (${s.kind}): ${outcome}: ${terminalText(s.reason)}`];
    if (s.configKeys.length > 0) lines.push(`  config keys: ${s.configKeys.join(", ")}`);
    if (s.outcome === "failed" && s.check !== undefined) {
        lines.push(
            ...renderCheck(s.check)
                .trimEnd()
                .split("\n")
                .map((l) => `  ${l}`),
        );
    }
    return lines;
}

/** A header with the range, one line per stack in promotion order (and a failed one's checks), a summary. */
export function renderDeploy(r: DeployResult): string {
    const only = r.only !== undefined ? ` (--stack ${r.only.join(", ")})` : "";
    const range = `${r.from.slice(0, 12)}..${r.to.slice(0, 12)}${only}`;
    if (r.stacks.length === 0) return `deploy ${range}: no stack file changed; nothing to deploy\n`;
    const lines = [
        `deploy ${range}: ${r.stacks.length} stack file(s) changed, in promotion order${r.dryRun ? " (dry run: nothing runs)" : ""}`,
        ...r.stacks.flatMap(stackLines),
    ];
    if (r.failed !== undefined) {
        lines.push(`deploy FAILED: ${r.failed.stack}: ${terminalText(r.failed.reason)}`);
    } else {
        const order = ["deployed", "would deploy", "skipped"] as const;
        const counts = order
            .map((o) => [o, r.stacks.filter((s) => s.outcome === o).length] as const)
            .filter(([, n]) => n > 0);
        lines.push(`deploy: ${counts.map(([o, n]) => `${n} ${o}`).join(", ")}`);
    }
    return lines.join("\n") + "\n";
}

/** The deploy, then (with --propose) its proposals; --propose alone prints the proposals only. */
function renderRun(r: DeployResult | ProposeResult, o: DeployFlags): string {
    const remote = o.remote ?? "origin";
    if (!("stacks" in r)) return renderProposals(r.proposals, remote);
    const deployed = renderDeploy(r);
    if (r.proposals === undefined) return deployed;
    if (r.failed !== undefined) return `${deployed}propose: nothing proposed: the deploy failed\n`;
    return deployed + renderProposals(r.proposals, remote);
}

export const deployCommand = defineCommand<DeployFlags, DeployResult | ProposeResult>({
    name: "deploy [range]",
    description:
        "after a merge: pulumi up, check (and roll back on failure) each stack whose stack file the range <from>..<to> changed, in promotion order; --propose: then push the next promotion of each stack whose soak is over (alone: of every stack)",
    flags: (cmd) =>
        cmd
            .option("--from <sha>", "the commit before the merge (all zeros: a first push)")
            .option("--to <sha>", "the merged commit")
            .option(
                "--main <ref>",
                "the ref whose pins are the truth: a pin it no longer holds is skipped (default: the first of origin/HEAD, origin/main, origin/master, main, master in the clone)",
            )
            .option(
                "--dry-run",
                "print the plan: stacks, pins and what each preview would change; run nothing",
            )
            .option("--allow-config-changes", "also deploy stack files whose change is more than a pin")
            .option("--on-failure <action>", "what check does after a failure: rollback (default) or reject")
            .option(
                "--stack <name>",
                "deploy only this stack of the range (repeatable): a pipeline job per stack, each with its own lock and approvals",
                collect,
            )
            .option(
                "--propose",
                "push the next promotion (promote --git) of each stack whose signed evidence shows its pin passed and soaked; never merges",
            )
            .option("--remote <name>", "the git remote --propose pushes to (default: origin)")
            .option(
                "--push-option <option>",
                "passed to git push -o (repeatable; GitLab: merge_request.create)",
                collect,
            ),
    nonEmpty: (o) => ({ "--from": o.from, "--to": o.to, "--main": o.main, "--remote": o.remote }),
    problems: (o) => {
        const range = rangeOf(o);
        return [
            ...(Array.isArray(range) ? range : []),
            ...proposeProblems(o),
            ...(o.stack !== undefined && range === undefined
                ? [
                      "--stack names the stacks of a range to deploy: give the range (--propose alone proposes from every stack)",
                  ]
                : []),
            ...(o.onFailure !== undefined && o.onFailure !== "reject" && o.onFailure !== "rollback"
                ? [`--on-failure "${o.onFailure}": expected rollback or reject`]
                : []),
        ];
    },
    // The deps a test passes may carry a fake up, preview, check and environment; the CLI's use the real ones.
    run: (o, deps) => {
        const verifierKey = signingKeyFromEnv(process.env, VERIFIER_KEY_ENV);
        const range = rangeOf(o) as { from: string; to: string } | undefined;
        const pushTo = {
            ...(o.remote !== undefined ? { remote: o.remote } : {}),
            ...(o.pushOption !== undefined ? { pushOptions: o.pushOption } : {}),
        };
        if (range === undefined) {
            return propose({ ...stackDirs(o), ...pushTo, ...(verifierKey ? { verifierKey } : {}) }, deps);
        }
        return deploy(
            {
                ...stackDirs(o),
                ...range,
                ...(o.main !== undefined ? { main: o.main } : {}),
                ...(o.dryRun ? { dryRun: true } : {}),
                ...(o.allowConfigChanges ? { allowConfigChanges: true } : {}),
                ...(o.onFailure === "reject" || o.onFailure === "rollback" ? { onFailure: o.onFailure } : {}),
                ...(verifierKey ? { verifierKey } : {}),
                ...(o.stack !== undefined ? { only: o.stack } : {}),
                ...(o.propose ? { propose: pushTo } : {}),
            },
            deps,
        );
    },
    render: renderRun,
    exitCode: (r) => (("stacks" in r ? r.ok : r.proposals.every((p) => p.outcome !== "failed")) ? 0 : 1),
});
