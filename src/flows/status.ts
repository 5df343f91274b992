import * as path from "path";
import { listStacks, StackImageConfig } from "../stackconfig";
import { ClusterDrift } from "../release";
import { kubectlCli, KubectlFn, stackClusterDrift } from "./clusterState";
import { CliDeps } from "./context";
import { loadStack, outputsFile, readOutputs, StackOptions } from "./stack";
import { mapLimit } from "./limit";
import { pendingRollbacks } from "./pendingRollback";

export interface StackStatus {
    stack: string;
    /** The image of a set this row is for; a single-image stack has one row without it. */
    image?: string;
    version?: string;
    digest?: string;
    channel?: string;
    channelDigest?: string;
    present?: boolean;
    drift: boolean;
    /**
     * Set only when the digest comes from the stack's release record and that record names another
     * repository than the stack file: presence and drift are then checked in this (released) repository.
     */
    releasedRepository?: string;
    /** A human sentence for such an inconsistency; `status` shows it under the table. */
    warning?: string;
    error?: string;
    /**
     * With `--cluster`: each container in the stack's namespace that runs this image's repository at
     * another reference than the pin (`[]`: the cluster runs the pin).
     */
    clusterDrift?: ClusterDrift[];
    /** With `--cluster`: why the stack's namespace could not be read. */
    clusterError?: string;
    /**
     * With `--cluster`: containers that run what a local rollback branch pins instead of the pin (an
     * automatic rollback whose PR is pending): its own state, not drift.
     */
    rolledBack?: (ClusterDrift & { branch: string })[];
}

export interface StatusOptions extends StackOptions {
    concurrency?: number;
    /** Also read what really runs in each stack's namespace (kubectl, the stack's kubeconfig). */
    cluster?: boolean;
}

export interface StatusDeps extends CliDeps {
    kubectl?: KubectlFn;
}

/** One row to check: a single-image stack, or one image of a set. */
interface Row {
    s: StackImageConfig;
    image?: string;
    /** The image's name in the stack, also for a single-image stack (which shows no IMAGE). */
    name: string;
    digest?: string;
    version?: string;
    repository: string;
    warning?: string;
}

/** A single-image stack's row: its pin, else (dev before a pin) what its last release recorded. */
function singleRow(o: StatusOptions, s: StackImageConfig): Row {
    let digest = s.digest;
    let version = s.version;
    let repository = s.repository;
    let warning: string | undefined;
    if (!digest) {
        const rec = readOutputs(o.repoRoot, s.stack);
        if (rec) ({ digest, version, repository } = rec);
        // The release put the digest and the channel tag in the record's repository; looking them up
        // in the stack file's would report a false "NO" and DRIFT, so both are checked where they are.
        if (rec && rec.repository !== s.repository) {
            warning = `${s.stack} released ${rec.repository} (${path.relative(o.repoRoot, outputsFile(o.repoRoot, s.stack))}) but ${path.relative(o.repoRoot, s.file)} pins image-release:repository ${s.repository}; promotions from ${s.stack} copy its digest from ${rec.repository}`;
        }
    }
    return { s, name: Object.keys(s.images)[0], digest, version, repository, warning };
}

/** A set's rows: one per image, each checked in its own repository. */
function setRows(s: StackImageConfig): Row[] {
    return Object.keys(s.images)
        .sort()
        .map((image) => {
            const { digest, version, repository } = s.images[image];
            return { s, image, name: image, digest, version, repository };
        });
}

/** Per stack, the drift of what runs in its namespace from its pins, or why it could not be read. */
async function clusterRows(
    rows: Row[],
    kubectl: KubectlFn,
): Promise<Map<string, { drift?: ClusterDrift[]; error?: string }>> {
    const stacks = [...new Set(rows.map((r) => r.s))];
    const out = new Map<string, { drift?: ClusterDrift[]; error?: string }>();
    await mapLimit(stacks, 4, async (s) => {
        const pins = rows
            .filter((r) => r.s === s && r.digest !== undefined)
            .map((r) => ({ image: r.name, repository: r.repository, digest: r.digest as string }));
        if (pins.length === 0) return;
        try {
            out.set(s.stack, { drift: await stackClusterDrift(s, pins, kubectl) });
        } catch (e) {
            out.set(s.stack, { error: (e as Error).message });
        }
    });
    return out;
}

/** Drift, less what a pending rollback branch pins (reported as rolled back, not as drift). */
function splitPending(
    repoRoot: string,
    s: StackImageConfig,
    drift: ClusterDrift[],
): Pick<StackStatus, "clusterDrift" | "rolledBack"> {
    if (drift.length === 0) return { clusterDrift: drift };
    const pending = pendingRollbacks(repoRoot, s.stack, s.file);
    const branchOf = (d: ClusterDrift) => pending.get(d.running.slice(d.running.indexOf("@") + 1));
    const rolledBack = drift
        .filter((d) => branchOf(d) !== undefined)
        .map((d) => ({ ...d, branch: branchOf(d) as string }));
    return {
        clusterDrift: drift.filter((d) => branchOf(d) === undefined),
        ...(rolledBack.length > 0 ? { rolledBack } : {}),
    };
}

/** What a HEAD found: the digest (undefined: no such tag or manifest), or why it could not tell. */
type Head = { digest?: string; error?: string };

async function head(deps: StatusDeps, name: string, ref: string): Promise<Head> {
    try {
        return { digest: (await deps.client.headManifest(name, ref))?.digest };
    } catch (e) {
        return { error: (e as Error).message };
    }
}

/**
 * A row's reads: the channel tag first, then the pin by digest only when the tag does not name it. A
 * tag names a manifest the repository holds, so a stack whose tag is where promotion left it (the
 * usual case) costs one HEAD per image, not two.
 */
async function rowHeads(deps: StatusDeps, r: Row): Promise<{ pin?: Head; chan?: Head }> {
    const chan = r.s.channel ? await head(deps, r.repository, r.s.channel) : undefined;
    if (!r.digest) return { chan };
    const pin = chan?.digest === r.digest ? { digest: r.digest } : await head(deps, r.repository, r.digest);
    return { pin, chan };
}

export async function status(o: StatusOptions, deps: StatusDeps): Promise<StackStatus[]> {
    const stacks = listStacks(o.stacksDir).map((s) => loadStack(o, s));
    const rows = stacks.flatMap((s) => (s.form === "set" ? setRows(s) : [singleRow(o, s)]));
    const heads = await mapLimit(rows, o.concurrency ?? 16, (r) => rowHeads(deps, r));
    const cluster = o.cluster ? await clusterRows(rows, deps.kubectl ?? kubectlCli) : undefined;
    return rows.map((r, i) => {
        const { s, image, digest, version, repository, warning } = r;
        const seen = cluster?.get(s.stack);
        const inCluster =
            seen === undefined || digest === undefined
                ? {}
                : seen.error !== undefined
                  ? { clusterError: seen.error }
                  : splitPending(
                        o.repoRoot,
                        s,
                        (seen.drift ?? []).filter((d) => d.image === r.name),
                    );
        const { pin, chan } = heads[i];
        const error = pin?.error ?? chan?.error;
        return {
            stack: s.stack,
            ...(image !== undefined ? { image } : {}),
            ...(version !== undefined ? { version } : {}),
            ...(digest ? { digest } : {}),
            ...(s.channel ? { channel: s.channel } : {}),
            ...(chan?.digest ? { channelDigest: chan.digest } : {}),
            ...(digest && pin && !pin.error ? { present: pin.digest === digest } : {}),
            drift: Boolean(s.channel && digest && !chan?.error && chan?.digest !== digest),
            ...(warning ? { releasedRepository: repository, warning } : {}),
            ...(error ? { error } : {}),
            ...inCluster,
        };
    });
}
