import { eachLimited } from "../registry";

/**
 * Runs `fn` over `items` with at most `limit` in flight; the results follow the order of `items`. The
 * registry's one bounded loop does the scheduling: after a failure no new item starts, the ones in
 * flight settle, then the first failure is thrown.
 */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
    // NaN or 0 would start no worker at all and return holes for every item, as if all had failed.
    if (!Number.isInteger(limit) || limit < 1) {
        throw new RangeError(`mapLimit: limit must be an integer >= 1 (got ${limit})`);
    }
    const out: R[] = new Array<R>(items.length);
    await eachLimited(
        items.map((item, i) => ({ item, i })),
        limit,
        async ({ item, i }) => {
            out[i] = await fn(item);
        },
    );
    return out;
}
