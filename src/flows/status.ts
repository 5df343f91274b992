import * as path from "path";
import { listStacks } from "../stackconfig";
import { CliDeps } from "./context";
import { loadStack, outputsFile, readOutputs, StackOptions } from "./stack";
import { mapLimit } from "./limit";

export interface StackStatus {
    stack: string;
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
}

export interface StatusOptions extends StackOptions {
    concurrency?: number;
}

export async function status(o: StatusOptions, deps: CliDeps): Promise<StackStatus[]> {
    const stacks = listStacks(o.stacksDir).map((s) => loadStack(o, s));
    const jobs: { key: string; name: string; ref: string }[] = [];
    const rows = stacks.map((s) => {
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
        if (digest) jobs.push({ key: `${s.stack}:pin`, name: repository, ref: digest });
        if (s.channel) jobs.push({ key: `${s.stack}:chan`, name: repository, ref: s.channel });
        return { s, digest, version, repository, warning };
    });
    const results = new Map<string, { digest?: string; error?: string }>();
    await mapLimit(jobs, o.concurrency ?? 16, async (j) => {
        try {
            const h = await deps.client.headManifest(j.name, j.ref);
            results.set(j.key, { digest: h?.digest });
        } catch (e) {
            results.set(j.key, { error: (e as Error).message });
        }
    });
    return rows.map(({ s, digest, version, repository, warning }) => {
        const pin = results.get(`${s.stack}:pin`);
        const chan = results.get(`${s.stack}:chan`);
        const error = pin?.error ?? chan?.error;
        return {
            stack: s.stack,
            ...(version !== undefined ? { version } : {}),
            ...(digest ? { digest } : {}),
            ...(s.channel ? { channel: s.channel } : {}),
            ...(chan?.digest ? { channelDigest: chan.digest } : {}),
            ...(digest && pin && !pin.error ? { present: pin.digest === digest } : {}),
            drift: Boolean(s.channel && digest && !chan?.error && chan?.digest !== digest),
            ...(warning ? { releasedRepository: repository, warning } : {}),
            ...(error ? { error } : {}),
        };
    });
}
