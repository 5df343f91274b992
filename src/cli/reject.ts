import { reject, RejectResult } from "../flows";
import { signingKeyFromEnv, VERIFIER_KEY_ENV } from "../signing";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { terminalText } from "./terminal";

export interface RejectFlags extends CommonOptions {
    reason: string;
    stack?: string;
    lift?: boolean;
}

export function renderReject(r: RejectResult): string {
    const what = r.lifted ? "lifted the rejection of" : "rejected";
    const lines = [`${what} ${r.digest}, signed by verifier key ${r.keyId}: ${terminalText(r.reason)}`];
    for (const a of r.attestations) lines.push(`  ${a}`);
    return lines.join("\n") + "\n";
}

export const rejectCommand = defineCommand<RejectFlags, RejectResult>({
    name: "reject <digest>",
    description:
        "sign a rejection of a digest with IMAGE_RELEASE_VERIFIER_KEY: promote, rollback and previews of stacks that trust the key refuse it (--lift undoes it)",
    flags: (cmd) =>
        cmd
            .requiredOption("--reason <text>", "why: one line, shown in every refusal")
            .option(
                "--stack <stack>",
                "the stack it was judged in (default: every stack's repositories are searched)",
            )
            .option("--lift", "lift an earlier rejection instead (with its own reason)"),
    nonEmpty: (o) => ({ "--reason": o.reason, "--stack": o.stack }),
    run: (o, deps) => {
        const verifierKey = signingKeyFromEnv(process.env, VERIFIER_KEY_ENV);
        return reject(
            {
                ...stackDirs(o),
                digest: o.args?.[0] ?? "",
                reason: o.reason,
                ...(o.stack !== undefined ? { stack: o.stack } : {}),
                ...(o.lift === true ? { lift: true } : {}),
                ...(verifierKey ? { verifierKey } : {}),
            },
            deps,
        );
    },
    render: (r) => renderReject(r),
});
