import {
    createHash,
    createPrivateKey,
    createPublicKey,
    KeyObject,
    scryptSync,
    verify as cryptoVerify,
} from "crypto";
import * as fs from "fs";
import * as path from "path";
import nacl from "tweetnacl";
import { SigningError } from "./errors";

/** The PEM types cosign writes for its password-encrypted private keys (newer, then older releases). */
const COSIGN_PEM_TYPES = ["ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY"];

/** A signing key and how its public half is named in messages and signatures. */
export interface SigningKey {
    privateKey: KeyObject;
    publicKey: KeyObject;
    /** `sha256:<16 hex>` of the public key's SPKI DER: short, stable, and the same in every message. */
    id: string;
}

export interface TrustedKey {
    publicKey: KeyObject;
    id: string;
    /** Where it was read from (a path), for messages. */
    source: string;
}

/** A signing key as a reader of its own earlier signatures trusts it; `source` names it in messages. */
export function trustedKeyOf(key: SigningKey, source: string): TrustedKey {
    return { publicKey: key.publicKey, id: key.id, source };
}

/**
 * Whether `signatureB64` (base64 ASN.1 DER ECDSA over SHA-256, cosign's encoding) signs `bytes` for
 * `publicKey`. A missing or malformed signature is simply not a match.
 */
export function verifiesWith(publicKey: KeyObject, bytes: Buffer, signatureB64: string | undefined): boolean {
    if (!signatureB64) return false;
    try {
        return cryptoVerify(
            "sha256",
            bytes,
            { key: publicKey, dsaEncoding: "der" },
            Buffer.from(signatureB64, "base64"),
        );
    } catch {
        return false;
    }
}

/** The fingerprint every message uses for a public key. */
export function keyId(publicKey: KeyObject): string {
    const der = publicKey.export({ type: "spki", format: "der" });
    return `sha256:${createHash("sha256").update(der).digest("hex").slice(0, 16)}`;
}

function pemBlock(text: string): { type: string; body: Buffer } | undefined {
    const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
    return m ? { type: m[1], body: Buffer.from(m[2].replace(/\s+/g, ""), "base64") } : undefined;
}

/**
 * cosign's encrypted key: JSON holding scrypt parameters and a NaCl secretbox of the PKCS#8 DER key
 * (github.com/secure-systems-lab/go-securesystemslib/encrypted, as `cosign generate-key-pair` writes).
 */
function decryptCosignKey(body: Buffer, password: string, source: string): Buffer {
    let doc: {
        kdf?: { name?: string; params?: { N?: number; r?: number; p?: number }; salt?: string };
        cipher?: { name?: string; nonce?: string };
        ciphertext?: string;
    };
    try {
        doc = JSON.parse(body.toString("utf8")) as typeof doc;
    } catch {
        throw new SigningError(`${source}: not a cosign encrypted key (its body is not JSON)`);
    }
    const { kdf, cipher, ciphertext } = doc;
    if (
        kdf?.name !== "scrypt" ||
        cipher?.name !== "nacl/secretbox" ||
        !kdf.salt ||
        !cipher.nonce ||
        !ciphertext
    ) {
        throw new SigningError(
            `${source}: unsupported cosign key encryption (kdf "${kdf?.name}", cipher "${cipher?.name}"); expected scrypt and nacl/secretbox`,
        );
    }
    const N = kdf.params?.N ?? 32768;
    const r = kdf.params?.r ?? 8;
    const p = kdf.params?.p ?? 1;
    const key = scryptSync(password, Buffer.from(kdf.salt, "base64"), 32, {
        N,
        r,
        p,
        maxmem: 256 * N * r + 1024 * 1024,
    });
    const opened = nacl.secretbox.open(
        new Uint8Array(Buffer.from(ciphertext, "base64")),
        new Uint8Array(Buffer.from(cipher.nonce, "base64")),
        new Uint8Array(key),
    );
    if (opened === null) throw new SigningError(`${source}: wrong password for the cosign key`);
    return Buffer.from(opened);
}

/**
 * An ECDSA P-256 private key from PEM text: cosign's encrypted format, an encrypted PKCS#8 PEM, or a
 * plain PKCS#8 / SEC1 PEM. Anything else (another curve, RSA) is refused by name.
 */
export function parsePrivateKey(
    pem: string,
    password: string | undefined,
    source: string,
    passwordVariables = "IMAGE_RELEASE_SIGNING_PASSWORD (or COSIGN_PASSWORD)",
): SigningKey {
    const block = pemBlock(pem);
    if (block === undefined) throw new SigningError(`${source}: no PEM block found`);
    let privateKey: KeyObject;
    const needPassword = COSIGN_PEM_TYPES.includes(block.type) || block.type === "ENCRYPTED PRIVATE KEY";
    if (needPassword && password === undefined) {
        throw new SigningError(`${source}: the key is encrypted; set ${passwordVariables}`);
    }
    try {
        if (COSIGN_PEM_TYPES.includes(block.type)) {
            const der = decryptCosignKey(block.body, password as string, source);
            privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
        } else if (block.type === "ENCRYPTED PRIVATE KEY") {
            privateKey = createPrivateKey({ key: pem, format: "pem", passphrase: password });
        } else {
            privateKey = createPrivateKey({ key: pem, format: "pem" });
        }
    } catch (e) {
        if (e instanceof SigningError) throw e;
        const why = (e as Error).message;
        throw new SigningError(
            block.type === "ENCRYPTED PRIVATE KEY" && /decrypt|bad/i.test(why)
                ? `${source}: wrong password for the encrypted PKCS#8 key`
                : `${source}: cannot read the private key (${block.type}): ${why}`,
        );
    }
    const curve = privateKey.asymmetricKeyDetails?.namedCurve;
    if (privateKey.asymmetricKeyType !== "ec" || curve !== "prime256v1") {
        throw new SigningError(
            `${source}: expected an ECDSA P-256 key, got ${privateKey.asymmetricKeyType}${curve ? ` ${curve}` : ""}`,
        );
    }
    const publicKey = createPublicKey(privateKey);
    return { privateKey, publicKey, id: keyId(publicKey) };
}

/** A trusted public key (PKIX PEM, as `cosign.pub`). */
export function parsePublicKey(pem: string, source: string): TrustedKey {
    let publicKey: KeyObject;
    try {
        publicKey = createPublicKey({ key: pem, format: "pem" });
    } catch (e) {
        throw new SigningError(`${source}: not a PEM public key: ${(e as Error).message}`);
    }
    const curve = publicKey.asymmetricKeyDetails?.namedCurve;
    if (publicKey.asymmetricKeyType !== "ec" || curve !== "prime256v1") {
        throw new SigningError(
            `${source}: expected an ECDSA P-256 public key, got ${publicKey.asymmetricKeyType}${curve ? ` ${curve}` : ""}`,
        );
    }
    return { publicKey, id: keyId(publicKey), source };
}

/** Public keys from PEM files; a relative path is read from `root` and named as written. */
export function readPublicKeys(paths: string[], root = process.cwd()): TrustedKey[] {
    return paths.map((p) => {
        let text: string;
        try {
            text = fs.readFileSync(
                path.resolve(root, p.replace(/^~(?=\/)/, process.env.HOME ?? "~")),
                "utf8",
            );
        } catch (e) {
            throw new SigningError(
                `cannot read public key ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
            );
        }
        return parsePublicKey(text, p);
    });
}

/** Which environment variables hold a key: its PEM (or a path to it) and the password that opens it. */
export interface KeyEnvNames {
    key: string;
    passwords: string[];
}

const RELEASE_KEY_ENV: KeyEnvNames = {
    key: "IMAGE_RELEASE_SIGNING_KEY",
    passwords: ["IMAGE_RELEASE_SIGNING_PASSWORD", "COSIGN_PASSWORD"],
};

/**
 * The verifier key, which signs check evidence and rejections: never the release key, so whoever can
 * release cannot forge "verified in staging".
 */
export const VERIFIER_KEY_ENV: KeyEnvNames = {
    key: "IMAGE_RELEASE_VERIFIER_KEY",
    passwords: ["IMAGE_RELEASE_VERIFIER_PASSWORD"],
};

/**
 * The release signing key, from the environment: IMAGE_RELEASE_SIGNING_KEY is a path to a PEM file or
 * the PEM text itself; IMAGE_RELEASE_SIGNING_PASSWORD (or COSIGN_PASSWORD, as cosign reads it) opens an
 * encrypted one. Undefined when no key is configured: releasing unsigned is allowed, promoting an
 * unsigned digest into a stack that requires signatures is not. `names` reads another key the same way
 * (VERIFIER_KEY_ENV).
 */
export function signingKeyFromEnv(
    env: Record<string, string | undefined> = process.env,
    names: KeyEnvNames = RELEASE_KEY_ENV,
): SigningKey | undefined {
    const value = env[names.key];
    if (value === undefined || value === "") return undefined;
    const password = names.passwords.map((n) => env[n]).find((v) => v !== undefined);
    const hint =
        names.passwords.length > 1
            ? `${names.passwords[0]} (or ${names.passwords.slice(1).join(", ")})`
            : names.passwords[0];
    if (value.includes("-----BEGIN")) return parsePrivateKey(value, password, names.key, hint);
    let pem: string;
    try {
        pem = fs.readFileSync(value, "utf8");
    } catch (e) {
        throw new SigningError(
            `${names.key}: cannot read ${value}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
    }
    return parsePrivateKey(pem, password, value, hint);
}
