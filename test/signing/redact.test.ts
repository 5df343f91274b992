import * as assert from "assert";
import { RegistryClient } from "../../src/registry";
import { requiredSignature, verifySignature } from "./signingApi";

const D = "sha256:" + "a".repeat(64);
const REPO = "robot:s3cret@registry.example.com/app";

/** The signature checks that refuse before any registry call still never quote a password. */
describe("signing refusals redact credentials in a repository", () => {
    const client = new RegistryClient({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });

    it("verifySignature without trusted keys", async () => {
        await assert.rejects(verifySignature(client, REPO, D, []), {
            message: `cannot verify <redacted>@registry.example.com/app@${D}: no trusted public key configured`,
        });
    });

    it("requiredSignature for a stack that names no key", async () => {
        await assert.rejects(
            requiredSignature(client, { stack: "prod", requireSignature: true }, "/", REPO, D),
            {
                message: `stack "prod" requires signed digests (image-release:requireSignature, on by default for prod) but names no trusted key: set image-release:signingKey to the public key(s), e.g. cosign.pub from \`cosign generate-key-pair\`, or set image-release:requireSignature: "false"; refusing <redacted>@registry.example.com/app@${D}`,
            },
        );
    });
});
