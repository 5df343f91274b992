import { Proposal } from "../flows";
import { terminalText } from "./terminal";

/** The flags of `deploy --propose`. */
export interface ProposeFlags {
    propose?: true;
    remote?: string;
    pushOption?: string[];
}

/** Commander's collector for a repeated flag. */
export function collect(value: string, previous: string[] | undefined): string[] {
    return [...(previous ?? []), value];
}

/** The usage problems of the propose flags, with or without a range. */
export function proposeProblems(o: ProposeFlags & { dryRun?: true }): string[] {
    const without = (flag: string) => `${flag} goes with --propose: it says where the proposal is pushed`;
    return [
        ...(o.propose !== true && o.remote !== undefined ? [without("--remote")] : []),
        ...(o.propose !== true && o.pushOption !== undefined ? [without("--push-option")] : []),
        ...(o.propose === true && o.dryRun === true
            ? ["--propose pushes branches and --dry-run runs nothing: give one of them"]
            : []),
        ...(o.pushOption ?? [])
            .filter((p) => p === "" || /[\n\r\0]/.test(p))
            .map((p) => `--push-option ${JSON.stringify(p)}: expected one line of text`),
    ];
}

/** One line per target: what was proposed (branch, remote, PR body), or why not. */
export function proposalLine(p: Proposal, remote: string): string {
    const what = `${p.to} from ${p.from}`;
    if (p.outcome === "proposed") {
        return `proposed ${what}: branch ${p.branch ?? ""} pushed to ${remote}; pull request text: ${p.bodyFile ?? ""}`;
    }
    if (p.outcome === "failed") return `propose FAILED: ${what}: ${terminalText(p.reason)}`;
    return `not proposing ${what}: ${terminalText(p.reason)}`;
}

export function renderProposals(proposals: Proposal[], remote: string): string {
    if (proposals.length === 0) return "propose: no stack promotes from the stacks verified; nothing proposed\n";
    return proposals.map((p) => proposalLine(p, remote)).join("\n") + "\n";
}
