/** A key that cannot be read, or a signature that does not hold: the message names the digest and key. */
export class SigningError extends Error {
    constructor(message: string) {
        super(message);
        this.name = new.target.name;
    }
}
