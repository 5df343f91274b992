/**
 * Runs `fn` over `items` with at most `limit` in flight. After the first failure no new item starts;
 * the ones in flight settle, then that first failure is thrown.
 */
export async function eachLimited<T>(
    items: T[],
    limit: number,
    fn: (item: T) => Promise<void>,
): Promise<void> {
    let next = 0;
    const errors: unknown[] = [];
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const item = items[next++];
            try {
                await fn(item);
            } catch (e) {
                errors.push(e);
                next = items.length;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
    if (errors.length > 0) throw errors[0];
}

/** At most `limit` of the functions it runs are in flight at once; the rest wait their turn in order. */
export function limiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
    let active = 0;
    const waiting: (() => void)[] = [];
    return async <T>(fn: () => Promise<T>): Promise<T> => {
        if (active >= limit) await new Promise<void>((r) => waiting.push(r));
        active++;
        try {
            return await fn();
        } finally {
            active--;
            waiting.shift()?.();
        }
    };
}
