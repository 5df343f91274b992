/** A key that cannot be read, or a signature that does not hold: the message names the digest and key. */
export class SigningError extends Error {
    constructor(message: string) {
        super(message);
        this.name = new.target.name;
    }
}

/** An attestation too large to be read back (an SBOM of millions of files): not pushed. */
export class AttestationTooLargeError extends SigningError {
    constructor(
        message: string,
        public readonly subject: string,
        public readonly predicateType: string,
        public readonly size: number,
        public readonly limit: number,
    ) {
        super(message);
    }
}
