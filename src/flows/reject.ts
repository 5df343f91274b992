import type { RegistryClient } from "../registry";
import { isDigest, reasonProblem, redactCredentials } from "../release";
import { SigningKey } from "../signing";
import { listStacks, StackImageConfig } from "../stackconfig";
import { CliDeps } from "./context";
import { passedIn, signRejection } from "./evidence";
import { Refusal, UsageRefusal } from "./refusal";
import { loadStack, StackOptions, stackRepositories } from "./stack";

export interface RejectOptions extends StackOptions {
    digest: string;
    reason: string;
    /** The stack it was judged in; also limits the repositories searched to this stack's. */
    stack?: string;
    /** Lift an earlier rejection instead (a trusted verifier key, with a reason). */
    lift?: boolean;
    verifierKey?: SigningKey;
}

export interface RejectResult {
    digest: string;
    lifted: boolean;
    reason: string;
    keyId: string;
    /** Each `.att` the statement was written to: every repository of the stacks that holds the digest. */
    attestations: string[];
}

/**
 * `image-release reject <digest> --reason …`: a rejection (or `--lift`, its lift) signed by the verifier
 * key into the `.att` of the digest in every repository of the stacks that holds it, so every stack that
 * trusts the key refuses it wherever it reads it. A digest no repository holds is refused by name.
 */
export async function reject(o: RejectOptions, deps: CliDeps): Promise<RejectResult> {
    if (!isDigest(o.digest)) throw new UsageRefusal(`"${o.digest}" is not a digest (sha256:<64 hex>)`);
    const problem = reasonProblem(o.reason);
    if (problem !== undefined) throw new UsageRefusal(`--reason "${o.reason.slice(0, 80)}": ${problem}`);
    if (o.verifierKey === undefined) {
        throw new Refusal(
            `${o.lift ? "a lift" : "a rejection"} is signed by a verifier key: set IMAGE_RELEASE_VERIFIER_KEY`,
        );
    }
    const stacks =
        o.stack !== undefined ? [loadStack(o, o.stack)] : listStacks(o.stacksDir).map((n) => loadStack(o, n));
    const repositories = stackRepositories(stacks);
    const holders: string[] = [];
    for (const r of repositories) {
        if ((await deps.client.headManifest(r, o.digest)) !== undefined) holders.push(r);
    }
    if (holders.length === 0) {
        throw new Refusal(
            `digest ${o.digest} is in none of ${repositories.map(redactCredentials).join(", ")} (the repositories of ${o.stack !== undefined ? `stack "${o.stack}"` : "every stack"}); nothing to ${o.lift ? "lift" : "reject"}`,
        );
    }
    const predicate = {
        digest: o.digest,
        lifted: o.lift === true,
        reason: o.reason,
        ...(o.stack !== undefined ? { stack: o.stack } : {}),
        at: (deps.now ?? (() => new Date()))().toISOString(),
        by: "user" as const,
    };
    const attestations: string[] = [];
    for (const r of holders) attestations.push(await signRejection(deps.client, o.verifierKey, r, predicate));
    return {
        digest: o.digest,
        lifted: predicate.lifted,
        reason: o.reason,
        keyId: o.verifierKey.id,
        attestations,
    };
}

/**
 * A failed check's own rejection: each pin this stack never verified (no passing evidence from it by
 * this key), so a digest the stack ran healthy before is never rejected for another member's failure.
 */
export async function rejectNewPins(
    s: StackImageConfig,
    pins: { image: string; repository: string; digest: string }[],
    reason: string,
    deps: { client: RegistryClient; key: SigningKey; now: () => number },
): Promise<{ image: string; digest: string; ref: string }[]> {
    const out: { image: string; digest: string; ref: string }[] = [];
    for (const p of pins) {
        if (await passedIn(deps.client, deps.key, s.stack, p)) continue;
        const at = new Date(deps.now()).toISOString();
        const predicate = {
            digest: p.digest,
            lifted: false,
            reason,
            stack: s.stack,
            at,
            by: "check" as const,
        };
        out.push({
            image: p.image,
            digest: p.digest,
            ref: await signRejection(deps.client, deps.key, p.repository, predicate),
        });
    }
    return out;
}
