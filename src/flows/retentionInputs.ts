import * as path from "path";
import { KeepInput, runningContainers, RunningImage } from "../release";
import { historyProblem, listStacks, StackImageConfig } from "../stackconfig";
import { clusterArgs, clusterObjects, kubectlCli, KubectlFn } from "./clusterState";
import { CliDeps } from "./context";
import { history } from "./history";
import { mapLimit } from "./limit";
import { Refusal } from "./refusal";
import { listRepository } from "./repositoryListing";
import { loadStack, StackOptions, stackRepositories } from "./stack";

export interface RetentionReadOptions extends StackOptions {
    keepHistory: number;
    /** Read what runs in each stack's namespace (default); false plans from the stacks alone. */
    cluster: boolean;
    concurrency: number;
}

export interface RetentionDeps extends CliDeps {
    kubectl?: KubectlFn;
}

/** Everything the keep set is computed from, read afresh, with the namespaces read. */
export interface RetentionRead {
    input: KeepInput;
    /** `stack/namespace` of each namespace read; absent when running images were not read. */
    namespaces?: string[];
    repositories: string[];
}

/** A stack's pins: its images' digests, a set's by member name. */
function pinsOf(s: StackImageConfig): KeepInput["pins"] {
    return Object.entries(s.images)
        .filter(([, i]) => i.digest !== undefined)
        .map(([name, i]) => ({
            stack: s.stack,
            ...(s.form === "set" ? { image: name } : {}),
            digest: i.digest as string,
        }));
}

/** Every pin of the stack file's history, newest entry first; refused when git cannot give it in full. */
async function historyOf(o: StackOptions, s: StackImageConfig): Promise<KeepInput["history"]> {
    const problem = historyProblem(o.repoRoot, s.file);
    if (problem !== undefined) {
        throw new Refusal(
            `cannot read the history of ${path.relative(o.repoRoot, s.file)}: ${problem}; gc keeps each stack's recent pins, so it refuses to plan without them`,
        );
    }
    return (await history({ ...o, stack: s.stack })).flatMap((e, i) => {
        const rank = i + 1;
        if (e.images === undefined) return e.digest ? [{ stack: s.stack, rank, digest: e.digest }] : [];
        return Object.entries(e.images).flatMap(([image, m]) =>
            m.digest ? [{ stack: s.stack, rank, image, digest: m.digest }] : [],
        );
    });
}

/** What runs in each stack's namespace (one read per cluster and namespace); refused when one cannot be read. */
async function runningIn(
    stacks: StackImageConfig[],
    kubectl: KubectlFn,
): Promise<{ running: RunningImage[]; namespaces: string[] }> {
    const seen = new Set<string>();
    const read = stacks.filter(
        (s) => !seen.has(clusterArgs(s).join(" ")) && seen.add(clusterArgs(s).join(" ")),
    );
    const objects = await mapLimit(read, 4, async (s) => {
        try {
            return await clusterObjects(s, kubectl);
        } catch (e) {
            throw new Refusal(
                `cannot read what runs in stack ${s.stack}'s namespace ${s.namespace}: ${(e as Error).message}; gc keeps every running digest, so it refuses without them (--no-cluster plans from the stacks alone)`,
            );
        }
    });
    const running = read.flatMap((s, i) =>
        runningContainers(objects[i]).map((c) => ({
            namespace: s.namespace,
            workload: `${c.kind} ${c.name}`,
            image: c.image,
        })),
    );
    return { running, namespaces: read.map((s) => `${s.stack}/${s.namespace}`) };
}

/** The stacks' pins, history, channel tags, running images and repositories: the keep set's inputs. */
export async function readRetention(o: RetentionReadOptions, deps: RetentionDeps): Promise<RetentionRead> {
    const stacks = listStacks(o.stacksDir).map((n) => loadStack(o, n));
    const pins = stacks.flatMap(pinsOf);
    const hist: KeepInput["history"] = [];
    for (const s of stacks) hist.push(...(await historyOf(o, s)));
    const channels = stacks.flatMap((s) =>
        s.channel === undefined
            ? []
            : Object.values(s.images).map((i) => ({
                  stack: s.stack,
                  repository: i.repository,
                  tag: s.channel as string,
              })),
    );
    const cluster = o.cluster ? await runningIn(stacks, deps.kubectl ?? kubectlCli) : undefined;
    const repositories = stackRepositories(stacks);
    const roots = [
        ...pins.map((p) => p.digest),
        ...hist.filter((h) => h.rank <= o.keepHistory).map((h) => h.digest),
        ...(cluster?.running ?? []).flatMap((r) => /@(sha256:[0-9a-f]{64})$/.exec(r.image)?.[1] ?? []),
    ];
    const listings = [];
    for (const r of repositories)
        listings.push(await listRepository(deps.client, r, [...new Set(roots)], o.concurrency));
    const input: KeepInput = {
        pins,
        history: hist,
        keepHistory: o.keepHistory,
        channels,
        ...(cluster ? { running: cluster.running } : {}),
        repositories: listings,
    };
    return { input, ...(cluster ? { namespaces: cluster.namespaces } : {}), repositories };
}
