import * as fs from "fs";
import * as path from "path";
import type { RegistryClient } from "../registry";
import type { SigningKey } from "../signing";
import {
    CommitRangeError,
    DeployPlan,
    deployPlan,
    parseStackFileText,
    PlannedStack,
    readStackRange,
    resolveCommit,
    StackConfigError,
    StackRange,
} from "../stackconfig";
import { automationUp, DeployedFn, PreviewFn, UpFn } from "./automation";
import { check, CheckDeps, CheckOptions, CheckResult, failedChecks } from "./check";
import {
    DecideContext,
    decideDefaults,
    DeployedStack,
    pinsText,
    previewText,
    skipReason,
    stackEntry,
} from "./deployStack";
import { propose, proposePrecheck, Proposal, ProposeDeps, ProposeOptions } from "./propose";
import { refuseMissingLogin } from "./pulumiLogin";
import { Refusal } from "./refusal";
import { StackOptions } from "./stack";

export interface DeployOptions extends StackOptions {
    /** The merge's range: the commit before it (ZERO_SHA for a first push) and the merged commit. */
    from: string;
    to: string;
    /** Print the plan and what each preview would change; run nothing. */
    dryRun?: boolean;
    /** Deploy stack files whose change is more than a pin (each such key is listed either way). */
    allowConfigChanges?: boolean;
    /** What check does when a stack fails: `rollback` (default) or `reject`. */
    onFailure?: "rollback" | "reject";
    /**
     * The ref whose pins are the truth: a pin it no longer holds is skipped. Default: `origin/HEAD` when the
     * clone has it (a re-run of an older pipeline then skips what a later merge replaced), else HEAD.
     */
    main?: string;
    /** Signs each stack's check evidence (and the rejection and rollback after a failure). */
    verifierKey?: SigningKey;
    /**
     * Deploy only these stacks of the range (a pipeline's job per stack, each with its own lock and
     * approvals); default: every stack the range changed. The range's refusals still judge all of them.
     */
    only?: string[];
    /** After a deploy that did not fail: propose the next promotion from each stack it deployed. */
    propose?: Pick<ProposeOptions, "remote" | "pushOptions">;
}

export interface DeployDeps extends ProposeDeps {
    client: RegistryClient;
    up?: UpFn;
    preview?: PreviewFn;
    deployed?: DeployedFn;
    /** The checks after each `up`; default: `check` (which applies the automatic rollback itself). */
    check?: (o: CheckOptions, deps: CheckDeps) => Promise<CheckResult>;
    /** kubectl, the clock and the API client the checks use; default: the environment's. */
    checkDeps?: Omit<CheckDeps, "client" | "up">;
    /** The environment the Pulumi login and passphrase are looked up in; default: process.env. */
    env?: Record<string, string | undefined>;
}

export interface DeployResult {
    /** The resolved range. */
    from: string;
    to: string;
    dryRun: boolean;
    /** False when a stack failed: its `up` or its checks. */
    ok: boolean;
    /** Every stack file the range changed (of the `only` stacks, when given), in promotion order. */
    stacks: DeployedStack[];
    /** The stacks deploy was limited to (`--stack`), when it was. */
    only?: string[];
    failed?: { stack: string; reason: string };
    /** With `propose`: the next promotion from each stack deployed (none when the deploy failed). */
    proposals?: Proposal[];
}

/** The range, its plan and main; a missing commit or an end revision that does not parse is refused. */
function readPlan(o: DeployOptions): { range: StackRange; plan: DeployPlan; main: DecideContext["main"] } {
    try {
        const range = readStackRange(o.repoRoot, o.stacksDir, o.from, o.to);
        const ref = o.main ?? defaultMain(o.repoRoot);
        const main = { ref, commit: resolveCommit(o.repoRoot, ref, "--main") };
        return { range, plan: deployPlan(range.changes, range.atTo), main };
    } catch (e) {
        if (e instanceof CommitRangeError || e instanceof StackConfigError) throw new Refusal(e.message);
        throw e;
    }
}

/**
 * Main as this clone knows it: the remote's default branch (origin/HEAD; CI checkouts such as
 * actions/checkout do not set it, so origin/main and origin/master next), else a local main or master.
 * Never the checkout itself: a re-run of an older pipeline would then take its own old pin for main's
 * and put it back. None of them: refused, naming --main.
 */
function defaultMain(repoRoot: string): string {
    for (const ref of ["origin/HEAD", "origin/main", "origin/master", "main", "master"]) {
        try {
            resolveCommit(repoRoot, ref, "--main");
            return ref;
        } catch {
            // Not in this clone: the next candidate.
        }
    }
    throw new Refusal(
        "cannot tell main in this clone (no origin/HEAD, origin/main, origin/master, main or master): name it with --main <ref>; nothing deployed",
    );
}

/** Every refusal that needs only the plan: a conflicting order, config changes not allowed, no verifier key. */
function refusePlan(o: DeployOptions, plan: DeployPlan, live: PlannedStack[]): void {
    if (plan.conflicts.length > 0) {
        throw new Refusal(
            `promotion order conflict in ${o.from}..${o.to}:\n${plan.conflicts.map((c) => `- ${c}`).join("\n")}\nnothing deployed`,
        );
    }
    const config = plan.stacks.filter((s) => s.keys.other.length > 0);
    if (config.length > 0 && o.allowConfigChanges !== true) {
        const lines = config.map(
            (s) => `- ${s.file}${s.change === "changed" ? "" : ` (${s.change})`}: ${s.keys.other.join(", ")}`,
        );
        throw new Refusal(
            `stack files changed beyond their pins:\n${lines.join("\n")}\ndeploy deploys pins only (promotions, rollbacks): review these keys and run it with --allow-config-changes; nothing deployed`,
        );
    }
    if (o.dryRun !== true && o.verifierKey === undefined && live.length > 0) {
        throw new Refusal(
            "deploy checks each stack after its up and signs the evidence (and the rollback after a failure): set IMAGE_RELEASE_VERIFIER_KEY; nothing deployed",
        );
    }
}

/** The checkout is what `pulumi up` runs: its stack file must be the one the range ends with. */
function refuseOtherCheckout(o: DeployOptions, range: StackRange, go: PlannedStack[]): void {
    const off = go.filter((s) => {
        const file = path.join(o.repoRoot, s.file);
        return (
            !fs.existsSync(file) ||
            fs.readFileSync(file, "utf8") !== range.changes.find((c) => c.stack === s.stack)?.after
        );
    });
    if (off.length > 0) {
        throw new Refusal(
            `the checkout in ${o.repoRoot} is not what the range ends with: ${off.map((s) => s.file).join(", ")} differ from ${range.to.slice(0, 12)}; check out --to (or main) first; nothing deployed`,
        );
    }
}

/** One stack's `up` and checks; a failed `up` is checked too, so the automatic rollback undoes what it left. */
async function deployOne(o: DeployOptions, s: DeployedStack, deps: DeployDeps): Promise<DeployedStack> {
    let upFailed: string | undefined;
    try {
        await (deps.up ?? automationUp)(s.stack, o.repoRoot);
    } catch (e) {
        upFailed = `pulumi up failed: ${(e as Error).message.trim().split("\n").slice(-3).join(" ")}`;
    }
    let run;
    try {
        run = await (deps.check ?? check)(
            {
                stacksDir: o.stacksDir,
                repoRoot: o.repoRoot,
                stack: s.stack,
                ...(o.verifierKey !== undefined ? { verifierKey: o.verifierKey } : {}),
                ...(o.onFailure !== undefined ? { onFailure: o.onFailure } : {}),
            },
            { ...deps.checkDeps, client: deps.client, ...(deps.up ? { up: deps.up } : {}) },
        );
    } catch (e) {
        // A check that cannot run (no pin to judge, the cluster unreachable) is this stack's failure,
        // reported with the others, not the end of the whole report.
        if (!(e instanceof Refusal)) throw e;
        return {
            ...s,
            outcome: "failed",
            reason: `${upFailed ?? "pulumi up succeeded"}; check could not run: ${e.message}`,
        };
    }
    if (upFailed !== undefined) return { ...s, outcome: "failed", reason: upFailed, check: run };
    if (!run.ok)
        return { ...s, outcome: "failed", reason: `check failed: ${failedChecks(run.checks)}`, check: run };
    return {
        ...s,
        outcome: "deployed",
        reason: `pulumi up succeeded; check passed (${pinsText(s.pins)})`,
        check: run,
    };
}

/**
 * `image-release deploy`, the one command a pipeline runs after a merge: every stack whose stack file the
 * range changed (a promotion, a release set, a revert), in promotion order, gets `pulumi up` and its
 * checks, and on failure the automatic rollback; later stacks then stay as they are. A stack no commit
 * of the range touched is left alone; a pin that already runs, or that a later merge replaced, is
 * skipped with a line that says so, so the same merge deploys nothing the second time. Every refusal
 * (a missing commit, config changes not allowed, a conflicting order, no login) comes before anything runs.
 */
export async function deploy(o: DeployOptions, deps: DeployDeps): Promise<DeployResult> {
    const { range, plan: whole, main } = readPlan(o);
    const plan = selected(o, range, whole);
    if (o.propose !== undefined && o.dryRun !== true)
        proposePrecheck({ ...o, ...o.propose }, "nothing deployed or proposed");
    const live = plan.stacks.filter(
        (s) => s.change !== "deleted" && s.keys.pin.length + s.keys.other.length > 0,
    );
    refusePlan({ ...o, from: range.from.slice(0, 12), to: range.to.slice(0, 12) }, whole, live);
    if (live.length > 0) {
        const top = (s: PlannedStack) => parseStackFileText(s.file, range.atTo[s.stack] ?? "").top;
        refuseMissingLogin(
            o.repoRoot,
            live.map((s) => ({ stack: s.stack, file: s.file, top: top(s) })),
            deps.env,
        );
    }
    const ctx: DecideContext = { repoRoot: o.repoRoot, from: range.from, main, ...decideDefaults(deps) };
    const decided = await decideAll(ctx, plan.stacks);
    const base = {
        from: range.from,
        to: range.to,
        dryRun: o.dryRun === true,
        ...(o.only !== undefined ? { only: o.only } : {}),
    };
    if (o.dryRun === true) {
        const stacks: DeployedStack[] = [];
        // One at a time: previews of one project share its workspace (plugins, the project file).
        for (const d of decided)
            stacks.push(d.entry.outcome === "would deploy" ? await dryRunOne(ctx, d.entry) : d.entry);
        return { ...base, ok: true, stacks };
    }
    const go = decided.filter((d) => d.entry.outcome === "would deploy").map((d) => d.planned);
    refuseOtherCheckout(o, range, go);
    const entries = decided.map((d) => d.entry);
    const done = await run({ ...o, onFailure: o.onFailure ?? "rollback" }, entries, deps, base);
    return o.propose === undefined ? done : proposeAfter(o, done, deps);
}

/** The next promotion from each stack the deploy verified; nothing when it failed. */
async function proposeAfter(o: DeployOptions, done: DeployResult, deps: DeployDeps): Promise<DeployResult> {
    if (!done.ok) return { ...done, proposals: [] };
    const sources = done.stacks.filter((s) => s.outcome === "deployed").map((s) => s.stack);
    const { proposals } = await propose({ ...o, ...o.propose, sources }, deps);
    return { ...done, ok: proposals.every((p) => p.outcome !== "failed"), proposals };
}

/** The plan of the stacks `--stack` names (each must have a stack file at the range's end), or all of it. */
function selected(o: DeployOptions, range: StackRange, plan: DeployPlan): DeployPlan {
    if (o.only === undefined) return plan;
    const unknown = o.only.filter((s) => !(s in range.atTo));
    if (unknown.length > 0) {
        const file = (s: string) => path.relative(o.repoRoot, path.join(o.stacksDir, `Pulumi.${s}.yaml`));
        throw new Refusal(
            `--stack ${unknown.map((s) => `"${s}"`).join(", ")}: no ${unknown.map(file).join(", ")} at ${range.to.slice(0, 12)}; nothing deployed`,
        );
    }
    return { ...plan, stacks: plan.stacks.filter((s) => o.only?.includes(s.stack)) };
}

/** Each stack's decision, in order, before anything runs: skipped (and why), or to deploy. */
async function decideAll(
    ctx: DecideContext,
    stacks: PlannedStack[],
): Promise<{ planned: PlannedStack; entry: DeployedStack }[]> {
    const decided: { planned: PlannedStack; entry: DeployedStack }[] = [];
    for (const s of stacks) {
        const entry = stackEntry(ctx, s);
        const { skip, preview } = await skipReason(ctx, s, entry);
        const withPreview = preview !== undefined ? { ...entry, preview } : entry;
        const decision: DeployedStack =
            skip !== undefined
                ? { ...withPreview, reason: skip }
                : { ...withPreview, outcome: "would deploy" };
        decided.push({ planned: s, entry: decision });
    }
    return decided;
}

/** The dry run's line for a stack deploy would run: what its preview would change. */
async function dryRunOne(ctx: DecideContext, s: DeployedStack): Promise<DeployedStack> {
    const preview = s.preview ?? (await ctx.preview(s.stack, ctx.repoRoot));
    return {
        ...s,
        preview,
        reason: `pulumi up and check of ${pinsText(s.pins)}; preview: ${previewText(preview)}`,
    };
}

/** Each stack in order; after the first failure the rest are not deployed. */
async function run(
    o: DeployOptions,
    entries: DeployedStack[],
    deps: DeployDeps,
    base: Pick<DeployResult, "from" | "to" | "dryRun" | "only">,
): Promise<DeployResult> {
    const stacks: DeployedStack[] = [];
    let failed: DeployResult["failed"];
    for (const s of entries) {
        if (s.outcome !== "would deploy") {
            stacks.push(s);
        } else if (failed !== undefined) {
            stacks.push({
                ...s,
                outcome: "not deployed",
                reason: `"${failed.stack}" failed before it`,
            });
        } else {
            const done = await deployOne(o, s, deps);
            if (done.outcome === "failed") failed = { stack: done.stack, reason: done.reason };
            stacks.push(done);
        }
    }
    return { ...base, ok: failed === undefined, stacks, ...(failed ? { failed } : {}) };
}
