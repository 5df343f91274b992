/**
 * The one error family of the use cases: a refusal is the user's to fix (bad input, a check that
 * failed, a state that forbids the step), and its message alone says what and why. Each face maps it:
 * the CLI to exit code 1, the program to a RunError without a stack trace.
 */
export class Refusal extends Error {
    constructor(message: string) {
        super(message);
        this.name = "Refusal";
    }
}

/** A refusal of the input's shape itself (a malformed flag value): the CLI's usage exit code, 2. */
export class UsageRefusal extends Refusal {
    constructor(message: string) {
        super(message);
        this.name = "UsageRefusal";
    }
}
