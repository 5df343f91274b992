/** A build that could not run or produced something we cannot publish; names the platform and context. */
export class BuildError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "BuildError";
    }
}
