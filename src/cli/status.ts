import { listStacks } from "../stackconfig";
import { CliDeps, loadStack, readOutputs, StackOptions } from "./context";

export interface StackStatus {
    stack: string;
    version?: string;
    digest?: string;
    channel?: string;
    channelDigest?: string;
    present?: boolean;
    drift: boolean;
    error?: string;
}

/** Runs `fn` over `items` with at most `limit` in flight; order of results follows `items`. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await fn(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
    return out;
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
        if (!digest) {
            const rec = readOutputs(o.repoRoot, s.stack);
            if (rec) ({ digest, version } = rec);
        }
        if (digest) jobs.push({ key: `${s.stack}:pin`, name: s.repository, ref: digest });
        if (s.channel) jobs.push({ key: `${s.stack}:chan`, name: s.repository, ref: s.channel });
        return { s, digest, version };
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
    return rows.map(({ s, digest, version }) => {
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
            ...(error ? { error } : {}),
        };
    });
}
