import { check, CheckDeps, CheckResult, soakLine } from "../flows";
import { signingKeyFromEnv, VERIFIER_KEY_ENV } from "../signing";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { terminalText } from "./terminal";

export interface CheckFlags extends CommonOptions {
    stack: string;
    wait?: string;
    onFailure?: string;
}

/** One line per check, and under a failed one each problem it saw; then the evidence it signed. */
export function renderCheck(r: CheckResult): string {
    const lines = [`stack ${r.stack}: ${r.ok ? "passed" : "FAILED"}`];
    for (const c of r.checks) {
        lines.push(`${c.ok ? "ok    " : "FAILED"} ${c.check} (${c.seconds.toFixed(1)}s)`);
        for (const p of c.problems) lines.push(`  - ${terminalText(p)}`);
    }
    for (const p of r.pins) lines.push(`pin ${p.image}: ${p.repository}@${p.digest}`);
    if (r.evidence !== undefined) {
        lines.push(`evidence: ${r.evidence.predicate.result}, signed by verifier key ${r.evidence.keyId}`);
        for (const a of r.evidence.attestations) lines.push(`  ${a}`);
    }
    const soak = soakLine(r);
    if (soak !== undefined) lines.push(soak);
    for (const x of r.rejected ?? []) lines.push(`rejected ${x.image} ${x.digest} (${x.ref})`);
    const auto = r.autoRollback;
    if (auto?.skipped !== undefined) lines.push(`rollback: ${auto.skipped}`);
    if (auto?.rollback !== undefined) {
        const to = auto.rollback.version ?? auto.rollback.digest;
        lines.push(
            `rolled back to ${to} on branch ${auto.rollback.branch ?? "-"}; PR pending: ${auto.rollback.pr?.file ?? "-"}`,
        );
        lines.push(`pulumi up from the rollback branch: ${auto.up ?? "-"}`);
    }
    if (auto?.after !== undefined) lines.push("after the rollback:", renderCheck(auto.after).trimEnd());
    return lines.join("\n") + "\n";
}

const WAIT_MAX = 24 * 3600;

export const checkCommand = defineCommand<CheckFlags, CheckResult>({
    name: "check",
    description:
        "after pulumi up: judge what runs in the stack's namespace (rollout, http checks); with IMAGE_RELEASE_VERIFIER_KEY, sign the evidence",
    flags: (cmd) =>
        cmd
            .requiredOption("--stack <stack>", "stack whose namespace is judged")
            .option(
                "--wait <seconds>",
                `wait up to this long for the soak to end, checking again (at most ${WAIT_MAX})`,
            )
            .option(
                "--on-failure <action>",
                "reject: a failed run also signs a rejection of each pin the stack never verified",
            ),
    nonEmpty: (o) => ({ "--stack": o.stack }),
    problems: (o) => [
        ...(o.wait !== undefined && !(/^[0-9]+$/.test(o.wait) && Number(o.wait) <= WAIT_MAX)
            ? [`--wait "${o.wait}": expected whole seconds, 0-${WAIT_MAX}`]
            : []),
        ...(o.onFailure !== undefined && o.onFailure !== "reject" && o.onFailure !== "rollback"
            ? [`--on-failure "${o.onFailure}": expected reject or rollback`]
            : []),
    ],
    // The deps a test passes may carry a kubectl and an API client; the CLI's own use the environment's.
    run: (o, deps) => {
        const verifierKey = signingKeyFromEnv(process.env, VERIFIER_KEY_ENV);
        return check(
            {
                ...stackDirs(o),
                stack: o.stack,
                ...(verifierKey ? { verifierKey } : {}),
                ...(o.wait !== undefined ? { waitSeconds: Number(o.wait) } : {}),
                ...(o.onFailure === "reject" || o.onFailure === "rollback" ? { onFailure: o.onFailure } : {}),
            },
            deps as CheckDeps,
        );
    },
    render: (r) => renderCheck(r),
    exitCode: (r) => (r.ok ? 0 : 1),
});
