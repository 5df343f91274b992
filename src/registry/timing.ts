import { duration } from "./errors";

/*
 * How long the client waits. Two clocks, because the two kinds of call fail differently:
 * - metadata calls (manifests, tags, tokens, referrers) are small, so each has a timeout, and all of a
 *   client's together have a deadline: a registry that answers each one just inside its timeout (a
 *   tags list, page after page) cannot keep a command running for hours;
 * - blob transfers are multi-GB for ML images, so no total time suits them; they end when no byte has
 *   moved for a while (a stall) instead.
 */

/**
 * The time a client spends waiting on metadata, all told: wall-clock time during which at least one
 * metadata call is in flight. Time spent elsewhere (a blob transfer, a build, git) does not count, so
 * a long-lived client (the Pulumi program's) is not cut off by a copy that took an hour.
 */
export class MetadataDeadline {
    private spent = 0;
    private inFlight = 0;
    private busySince = 0;

    constructor(readonly ms: number) {}

    private remaining(now: number): number {
        return this.ms - this.spent - (this.inFlight > 0 ? now - this.busySince : 0);
    }

    /**
     * Runs one exchange under a signal that fires at `timeoutMs`, or when the deadline comes, whichever
     * is first. Busy time runs at wall-clock speed for as long as this call is in flight, so the deadline
     * comes exactly when the time left at its start has passed. When the deadline is what ends it (or
     * already passed), `expired()` is thrown in place of whatever the exchange threw.
     */
    async run<T>(
        timeoutMs: number,
        exchange: (signal: AbortSignal) => Promise<T>,
        expired: () => Error,
    ): Promise<T> {
        const now = Date.now();
        const left = this.remaining(now);
        if (left <= 0) throw expired();
        if (this.inFlight++ === 0) this.busySince = now;
        const signal = AbortSignal.timeout(Math.min(timeoutMs, left));
        try {
            return await exchange(signal);
        } catch (e) {
            if (left < timeoutMs && signal.aborted) throw expired();
            throw e;
        } finally {
            if (--this.inFlight === 0) this.spent += Date.now() - this.busySince;
        }
    }
}

/** Bytes a second a registry is given to commit a blob once all of it arrived (an S3 copy, a hash). */
const COMMIT_BYTES_PER_SECOND = 50 * 1024 * 1024;

/**
 * A blob transfer's watchdog: its signal fires once no byte has moved for `ms`. `moved()` on every
 * chunk; `sent(size)` once the last byte is out, when the registry gets `ms` plus a second per 50 MiB
 * to commit the blob and answer.
 */
export class Stall {
    private readonly controller = new AbortController();
    private timer: NodeJS.Timeout | undefined;
    fired = false;

    constructor(private readonly ms: number) {
        this.arm(ms);
    }

    get signal(): AbortSignal {
        return this.controller.signal;
    }

    /** The text of the attempt's failure once it fired: "no data for 60 s". */
    get message(): string {
        return `no data for ${duration(this.ms)}`;
    }

    moved(): void {
        this.arm(this.ms);
    }

    sent(size: number): void {
        this.arm(this.ms + Math.ceil((size / COMMIT_BYTES_PER_SECOND) * 1000));
    }

    stop(): void {
        clearTimeout(this.timer);
    }

    private arm(ms: number): void {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => {
            this.fired = true;
            this.controller.abort();
        }, ms);
        // A watchdog never keeps the process alive on its own.
        this.timer.unref();
    }
}
