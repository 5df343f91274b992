import type { ReplyFacts } from "./errors";

export interface RetryOptions {
    attempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 200, maxDelayMs: 2000 };

/**
 * Thrown by an attempt to ask for another try; carries the text used if tries run out, and the reply
 * that asked for it (a 503) when there was one rather than a network failure.
 */
export class RetryableError extends Error {
    constructor(
        message: string,
        public readonly reply?: ReplyFacts,
    ) {
        super(message);
    }
}

export function backoffDelay(attempt: number, o: RetryOptions): number {
    return Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
}

/** Runs fn up to o.attempts times; returns its result or throws onExhausted(attempts, lastCause, last). */
export async function withRetry<T>(
    o: RetryOptions,
    fn: (attempt: number) => Promise<T>,
    onExhausted: (attempts: number, cause: string, last: RetryableError) => Error,
): Promise<T> {
    const attempts = Math.max(1, o.attempts);
    // Made only when an attempt fails: an Error captures a stack, which every request would pay.
    let last: RetryableError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
            return await fn(attempt);
        } catch (e) {
            if (!(e instanceof RetryableError)) throw e;
            last = e;
            if (attempt < attempts) await new Promise((r) => setTimeout(r, backoffDelay(attempt, o)));
        }
    }
    last ??= new RetryableError("");
    throw onExhausted(attempts, last.message, last);
}
