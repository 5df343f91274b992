import * as path from "path";
import { runGit } from "../release";

/**
 * The digests the local rollback branches of a stack (`rollback/<stack>-…`, as `rollback --git` and
 * `check --on-failure rollback` name them) pin in its stack file, each with its branch: what runs after
 * an automatic rollback whose PR has not merged yet.
 */
export function pendingRollbacks(repoRoot: string, stack: string, file: string): Map<string, string> {
    const out = new Map<string, string>();
    let branches: string[];
    try {
        branches = runGit(repoRoot, [
            "for-each-ref",
            "--format=%(refname:short)",
            `refs/heads/rollback/${stack}-*`,
        ])
            .split("\n")
            .filter((b) => b !== "");
    } catch {
        return out;
    }
    const rel = path.relative(repoRoot, path.resolve(file)).split(path.sep).join("/");
    for (const branch of branches) {
        let text: string;
        try {
            text = runGit(repoRoot, ["show", `${branch}:./${rel}`]);
        } catch {
            continue;
        }
        for (const m of text.matchAll(/sha256:[0-9a-f]{64}/g)) if (!out.has(m[0])) out.set(m[0], branch);
    }
    return out;
}
