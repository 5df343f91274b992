import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkPin, PinRefusal, pullSources, stackPinCheck } from "../../src/flows";
import {
    ImageDescription,
    ManifestNotFoundError,
    MissingPlatformError,
    RegistryClient,
    RegistryUnavailableError,
} from "../../src/registry";
import { parsePrivateKey, readPublicKeys, signDigest } from "../../src/signing";
import { StackImageConfig } from "../../src/stackconfig";
import { LOCAL, pushTestImage, uniqueRepo } from "../fixtures/registry/testImage";

const D = "sha256:" + "0123456789abcdef".repeat(4);
const A = "127.0.0.1:5001/prod/hello";
const B = "127.0.0.1:5000/staging/hello";
const C = "127.0.0.1:5000/old/hello";
const BOTH = ["linux/amd64", "linux/arm64"];
const SIGNING = path.join(__dirname, "..", "fixtures", "signing");

function description(repository: string, platforms: string[]): ImageDescription {
    return {
        name: repository,
        mediaType: "application/vnd.oci.image.index.v1+json",
        digest: D,
        platforms: platforms.map((p, i) => {
            const [os, architecture] = p.split("/");
            return { platform: p, os, architecture, digest: "sha256:" + String(i).repeat(64), size: 1 };
        }),
        labels: {},
    };
}

/** A registry that answers `verify` from a table: what each repository holds, or the error it gives. */
function fakeRegistry(holds: Record<string, string[] | Error>) {
    const calls: string[] = [];
    const client = {
        verify: async (ref: string, required: string[]): Promise<ImageDescription> => {
            calls.push(ref);
            const repository = ref.slice(0, ref.indexOf("@"));
            const held = holds[repository];
            if (held === undefined) throw new ManifestNotFoundError(repository, D);
            if (held instanceof Error) throw held;
            const missing = required.filter((p) => !held.includes(p));
            if (missing.length > 0) throw new MissingPlatformError(repository, D, missing, held);
            return description(repository, held);
        },
    };
    return { client, calls };
}

describe("flows/pinCheck: checkPin, registry step (no registry: a table of answers)", () => {
    const rows: {
        name: string;
        repositories: string[];
        holds: Record<string, string[] | Error>;
        /** The repository it is verified in, or the refusal. */
        want: { repository: string } | { reason: string; message: string };
        /** The refs asked, in order. */
        asked: string[];
    }[] = [
        {
            name: "the stack's repository holds it",
            repositories: [A, B],
            holds: { [A]: BOTH, [B]: BOTH },
            want: { repository: A },
            asked: [A],
        },
        {
            name: "not copied yet: found in the source repository",
            repositories: [A, B],
            holds: { [B]: BOTH },
            want: { repository: B },
            asked: [A, B],
        },
        {
            name: "a third candidate (a rollback's older repository)",
            repositories: [A, B, C],
            holds: { [C]: BOTH },
            want: { repository: C },
            asked: [A, B, C],
        },
        {
            name: "held nowhere: the last repository's not-found",
            repositories: [A, B],
            holds: {},
            want: { reason: "ManifestNotFoundError", message: `digest ${D} not found in repo ${B}` },
            asked: [A, B],
        },
        {
            name: "a missing platform stops at once, even with another candidate",
            repositories: [A, B],
            holds: { [A]: ["linux/amd64"], [B]: BOTH },
            want: {
                reason: "MissingPlatformError",
                message: `${A}@${D} lacks required platform(s) linux/arm64 (has linux/amd64)`,
            },
            asked: [A],
        },
        {
            name: "an unreachable registry stops at once",
            repositories: [A, B],
            holds: { [A]: new RegistryUnavailableError("127.0.0.1:5001", 3, "ECONNREFUSED"), [B]: BOTH },
            want: {
                reason: "RegistryUnavailableError",
                message: "registry 127.0.0.1:5001 unreachable after 3 attempts: ECONNREFUSED",
            },
            asked: [A],
        },
    ];
    for (const r of rows) {
        it(r.name, async () => {
            const { client, calls } = fakeRegistry(r.holds);
            const o = { digest: D, repositories: r.repositories, platforms: BOTH };
            if ("repository" in r.want) {
                const pin = await checkPin(o, { client });
                assert.deepStrictEqual(pin, {
                    digest: D,
                    repository: r.want.repository,
                    description: description(r.want.repository, r.holds[r.want.repository] as string[]),
                });
            } else {
                const want = r.want;
                await assert.rejects(checkPin(o, { client }), (e: unknown) => {
                    assert.ok(e instanceof PinRefusal);
                    assert.deepStrictEqual(
                        [e.step, e.reason.constructor.name, e.message],
                        ["registry", want.reason, want.message],
                    );
                    return true;
                });
            }
            assert.deepStrictEqual(
                calls,
                r.asked.map((x) => `${x}@${D}`),
            );
        });
    }
});

describe("flows/pinCheck: where a stack pulls its pin, and its check", () => {
    const stack = {
        stack: "prod",
        file: "stacks/Pulumi.prod.yaml",
        repository: A,
        platforms: BOTH,
        verifyDigest: true,
        namespace: "prod",
        requireSignature: true,
        signingKeys: ["keys/cosign.pub"],
    } as StackImageConfig;

    const rows: [string, { repository: string; sourceRepository?: string }, string[]][] = [
        ["its repository", { repository: A }, [A]],
        ["then its sourceRepository until up copies it", { repository: A, sourceRepository: B }, [A, B]],
    ];
    for (const [name, s, want] of rows)
        it(`pullSources: ${name}`, () => assert.deepStrictEqual(pullSources(s), want));

    it("stackPinCheck: the stack's platforms and signature rule, where it pulls the pin by default", () => {
        assert.deepStrictEqual(stackPinCheck({ ...stack, sourceRepository: B }, D, "/p"), {
            digest: D,
            repositories: [A, B],
            platforms: BOTH,
            signature: { policy: { ...stack, sourceRepository: B }, root: "/p" },
        });
        assert.deepStrictEqual(stackPinCheck(stack, D, "/p", [B, C]).repositories, [B, C]);
    });

    it("a required signature with no trusted key is refused at the signature step, naming the holder", async () => {
        const { client } = fakeRegistry({ [B]: BOTH });
        const o = stackPinCheck({ ...stack, signingKeys: undefined }, D, "/p", [A, B]);
        await assert.rejects(checkPin(o, { client: client as unknown as RegistryClient }), (e: unknown) => {
            assert.ok(e instanceof PinRefusal);
            assert.deepStrictEqual(
                [e.step, e.reason.constructor.name, e.message],
                [
                    "signature",
                    "SigningError",
                    `stack "prod" requires signed digests (image-release:requireSignature, on by default for prod) but names no trusted key: set image-release:signingKey to the public key(s), e.g. cosign.pub from \`cosign generate-key-pair\`, or set image-release:requireSignature: "false"; refusing ${B}@${D}`,
                ],
            );
            return true;
        });
    });

    it("a stack that requires no signature reads none", async () => {
        const { client } = fakeRegistry({ [A]: BOTH });
        const o = stackPinCheck({ ...stack, requireSignature: undefined }, D, "/p");
        // A verify-only client: any signature read would throw on the missing method.
        const pin = await checkPin(o, { client: client as unknown as RegistryClient });
        assert.deepStrictEqual([pin.repository, pin.signature], [A, undefined]);
    });
});

describe("flows/pinCheck: the signature is read where the digest is @integration", () => {
    const client = new RegistryClient({});
    const target = uniqueRepo(LOCAL, "pincheck-target");
    const source = uniqueRepo(LOCAL, "pincheck-source");
    const pub = path.join(SIGNING, "cosign.pub");
    let signed: string;
    let unsigned: string;

    before(async () => {
        signed = (await pushTestImage(client, source, "pincheck-signed")).indexDigest;
        unsigned = (await pushTestImage(client, source, "pincheck-unsigned")).indexDigest;
        const key = parsePrivateKey(
            fs.readFileSync(path.join(SIGNING, "cosign.key"), "utf8"),
            "image-release-test-only",
            "cosign.key",
        );
        await signDigest(client, source, signed, key);
    });

    const policy = { stack: "prod", requireSignature: true as const, signingKeys: [pub] };

    it("a signed digest not yet copied: verified and its signature checked in the source", async () => {
        const pin = await checkPin(
            {
                digest: signed,
                repositories: [target, source],
                platforms: BOTH,
                signature: { policy, root: "/" },
            },
            { client },
        );
        assert.deepStrictEqual(
            [pin.repository, pin.signature?.keyId, pin.signature?.ref],
            [source, readPublicKeys([pub])[0].id, `${source}:${signed.replace(":", "-")}.sig`],
        );
    });

    it("an unsigned one is refused at the signature step with the signing error's message", async () => {
        await assert.rejects(
            checkPin(
                {
                    digest: unsigned,
                    repositories: [target, source],
                    platforms: BOTH,
                    signature: { policy, root: "/" },
                },
                { client },
            ),
            (e: unknown) =>
                e instanceof PinRefusal &&
                e.step === "signature" &&
                e.message ===
                    `stack "prod" requires a signed digest: ${source}@${unsigned} is not signed (no signature in ${source}:${unsigned.replace(":", "-")}.sig); trusted key(s): ${readPublicKeys([pub])[0].id} (${pub})`,
        );
    });
});
