import { check, CheckDeps, CheckResult } from "../flows";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { terminalText } from "./terminal";

export interface CheckFlags extends CommonOptions {
    stack: string;
}

/** One line per check, and under a failed one each problem it saw. */
export function renderCheck(r: CheckResult): string {
    const lines = [`stack ${r.stack}: ${r.ok ? "passed" : "FAILED"}`];
    for (const c of r.checks) {
        lines.push(`${c.ok ? "ok    " : "FAILED"} ${c.check} (${c.seconds.toFixed(1)}s)`);
        for (const p of c.problems) lines.push(`  - ${terminalText(p)}`);
    }
    for (const p of r.pins) lines.push(`pin ${p.image}: ${p.repository}@${p.digest}`);
    return lines.join("\n") + "\n";
}

export const checkCommand = defineCommand<CheckFlags, CheckResult>({
    name: "check",
    description: "after pulumi up: judge what runs in the stack's namespace (rollout, http checks)",
    flags: (cmd) => cmd.requiredOption("--stack <stack>", "stack whose namespace is judged"),
    nonEmpty: (o) => ({ "--stack": o.stack }),
    // The deps a test passes may carry a kubectl and an API client; the CLI's own use the environment's.
    run: (o, deps) => check({ ...stackDirs(o), stack: o.stack }, deps as CheckDeps),
    render: (r) => renderCheck(r),
    exitCode: (r) => (r.ok ? 0 : 1),
});
