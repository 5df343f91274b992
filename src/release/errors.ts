/** Thrown by the pure release rules; `message` is exact and names the bad value so callers can show it as is. */
export class ReleaseRuleError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ReleaseRuleError";
    }
}
