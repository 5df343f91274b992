import type { RegistryClient } from "../registry";
import { SigningKey } from "../signing";
import { automationUp, UpFn } from "./automation";
import { CliDeps } from "./context";
import { passedIn } from "./evidence";
import { Refusal } from "./refusal";
import { rollback, RollbackResult } from "./rollback";
import { StackOptions } from "./stack";

/** What `check --on-failure rollback` did after a failed run. */
export interface AutoRollback {
    /** The rollback it wrote (branch, commit, PR), when a verified earlier pin existed. */
    rollback?: Pick<RollbackResult, "digest" | "version" | "branch" | "commitMessage" | "pr" | "images">;
    /** `pulumi up` from the rollback branch: "succeeded", or its failure. */
    up?: string;
    /** Why nothing was rolled back. */
    skipped?: string;
}

/** How many earlier pins (or combinations) the rollback looks through for a verified one. */
const LOOK_BACK = 10;

/** Whether every digest the rollback would restore passed this stack's checks (by the verifier key). */
async function verifiedHere(
    client: RegistryClient,
    key: SigningKey,
    stack: string,
    pins: { repository: string; digest: string }[],
): Promise<boolean> {
    for (const p of pins) if (!(await passedIn(client, key, stack, p))) return false;
    return true;
}

/**
 * The restored pins of a rollback result, each in the repository the stack pulls it from (where its
 * checks wrote their evidence): a set's moved images, or the one digest.
 */
function restored(
    r: RollbackResult,
    repositories: Record<string, string>,
): { repository: string; digest: string }[] {
    const first = Object.values(repositories)[0];
    return r.images !== undefined
        ? r.images.map((i) => ({ repository: repositories[i.name] ?? first, digest: i.digest }))
        : [{ repository: first, digest: r.digest }];
}

/**
 * After a failed check (whose pins are already rejected): the newest earlier pin of the stack (its git
 * history, rejected ones skipped) that passed this stack's checks before, written as `rollback --git`
 * writes it (branch, commit, PR body), then `pulumi up` from that branch. Config stays the truth: main
 * still pins the failed digest, which its preview now refuses, until the rollback PR merges. Nothing is
 * rolled back to an unverified digest; without one, it says so and changes nothing.
 */
export async function rollbackAfterFailure(
    o: StackOptions & { stack: string; repositories: Record<string, string> },
    key: SigningKey,
    deps: CliDeps & { up?: UpFn },
): Promise<AutoRollback> {
    let chosen: string | undefined;
    for (let n = 1; n <= LOOK_BACK && chosen === undefined; n++) {
        let plan: RollbackResult;
        try {
            plan = await rollback(
                { stacksDir: o.stacksDir, repoRoot: o.repoRoot, stack: o.stack, to: String(n), dryRun: true },
                deps,
            );
        } catch (e) {
            if (e instanceof Refusal) break;
            throw e;
        }
        if (await verifiedHere(deps.client, key, o.stack, restored(plan, o.repositories))) chosen = String(n);
    }
    if (chosen === undefined) {
        return {
            skipped: `no earlier pin of stack "${o.stack}" (last ${LOOK_BACK}, rejected ones skipped) passed its checks with verifier key ${key.id}; nothing rolled back`,
        };
    }
    const r = await rollback(
        { stacksDir: o.stacksDir, repoRoot: o.repoRoot, stack: o.stack, to: chosen, git: true },
        deps,
    );
    const { digest, version, branch, commitMessage, pr, images } = r;
    const written = { digest, version, branch, commitMessage, pr, ...(images ? { images } : {}) };
    try {
        await (deps.up ?? automationUp)(o.stack, o.repoRoot);
        return { rollback: written, up: "succeeded" };
    } catch (e) {
        return { rollback: written, up: `failed: ${(e as Error).message.split("\n").slice(-3).join(" ")}` };
    }
}
