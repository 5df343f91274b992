/** A refusal or finding: exit code 1. Usage errors (bad flags) are commander's, exit code 2. */
export class CliError extends Error {
    constructor(
        message: string,
        public readonly exitCode = 1,
    ) {
        super(message);
        this.name = "CliError";
    }
}
