import * as assert from "assert";
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parsePrivateKey, parsePublicKey, readPublicKeys, signingKeyFromEnv } from "../../src/signing";

const DIR = path.join(__dirname, "..", "fixtures", "signing");
const PASSWORD = "image-release-test-only";
const text = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const idOf = (pub: string) => parsePublicKey(text(pub), pub).id;

describe("signing keys", () => {
    const readable: { name: string; key: string; password?: string; pub: string }[] = [
        {
            name: "cosign's encrypted key (scrypt + nacl/secretbox)",
            key: "cosign.key",
            password: PASSWORD,
            pub: "cosign.pub",
        },
        { name: "another cosign key", key: "other.key", password: PASSWORD, pub: "other.pub" },
        { name: "plain PKCS#8", key: "plain.key", pub: "plain.pub" },
        {
            name: "encrypted PKCS#8 (PBES2, AES-256-CBC)",
            key: "enc.key",
            password: PASSWORD,
            pub: "plain.pub",
        },
    ];
    for (const r of readable) {
        it(`reads ${r.name}; its public half is the .pub file`, () => {
            const k = parsePrivateKey(text(r.key), r.password, r.key);
            assert.strictEqual(k.id, idOf(r.pub));
            assert.match(k.id, /^sha256:[0-9a-f]{16}$/);
        });
    }

    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
        type: "pkcs8",
        format: "pem",
    }) as string;
    const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey.export({
        type: "pkcs8",
        format: "pem",
    }) as string;
    const refused: { name: string; pem: string; password?: string; message: string }[] = [
        {
            name: "a wrong password (cosign key)",
            pem: text("cosign.key"),
            password: "nope",
            message: "cosign.key: wrong password for the cosign key",
        },
        {
            name: "a wrong password (PKCS#8)",
            pem: text("enc.key"),
            password: "nope",
            message: "enc.key: wrong password for the encrypted PKCS#8 key",
        },
        {
            name: "an encrypted key without a password",
            pem: text("cosign.key"),
            message:
                "cosign.key: the key is encrypted; set IMAGE_RELEASE_SIGNING_PASSWORD (or COSIGN_PASSWORD)",
        },
        { name: "an RSA key", pem: rsa, message: "rsa.key: expected an ECDSA P-256 key, got rsa" },
        {
            name: "a P-384 key",
            pem: p384,
            message: "p384.key: expected an ECDSA P-256 key, got ec secp384r1",
        },
        { name: "no PEM at all", pem: "hello", message: "junk.key: no PEM block found" },
    ];
    const files: Record<string, string> = {
        "a wrong password (cosign key)": "cosign.key",
        "a wrong password (PKCS#8)": "enc.key",
        "an encrypted key without a password": "cosign.key",
        "an RSA key": "rsa.key",
        "a P-384 key": "p384.key",
        "no PEM at all": "junk.key",
    };
    for (const r of refused) {
        it(`refuses ${r.name}, naming the file`, () => {
            assert.throws(() => parsePrivateKey(r.pem, r.password, files[r.name]), { message: r.message });
        });
    }

    it("IMAGE_RELEASE_SIGNING_KEY is a path or the PEM itself; COSIGN_PASSWORD also opens it", () => {
        const want = idOf("cosign.pub");
        const byPath = signingKeyFromEnv({
            IMAGE_RELEASE_SIGNING_KEY: path.join(DIR, "cosign.key"),
            IMAGE_RELEASE_SIGNING_PASSWORD: PASSWORD,
        });
        const byText = signingKeyFromEnv({
            IMAGE_RELEASE_SIGNING_KEY: text("cosign.key"),
            COSIGN_PASSWORD: PASSWORD,
        });
        assert.deepStrictEqual([byPath?.id, byText?.id], [want, want]);
        assert.strictEqual(signingKeyFromEnv({}), undefined);
        assert.throws(() => signingKeyFromEnv({ IMAGE_RELEASE_SIGNING_KEY: "/nonexistent/cosign.key" }), {
            message: "IMAGE_RELEASE_SIGNING_KEY: cannot read /nonexistent/cosign.key: ENOENT",
        });
    });

    it("trusted keys: relative paths from the project root, named as written; a bad one is named", () => {
        const keys = readPublicKeys(["cosign.pub", "other.pub"], DIR);
        assert.deepStrictEqual(
            keys.map((k) => [k.id, k.source]),
            [
                [idOf("cosign.pub"), "cosign.pub"],
                [idOf("other.pub"), "other.pub"],
            ],
        );
        assert.throws(() => readPublicKeys(["missing.pub"], DIR), {
            message: "cannot read public key missing.pub: ENOENT",
        });
        assert.throws(
            () => readPublicKeys(["README.md"], DIR),
            (e: Error) => e.message.startsWith("README.md: not a PEM public key: "),
        );
    });
});
