import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { recordVerification, signRejection } from "../../src/flows";
import { RegistryClient } from "../../src/registry";
import { parsePrivateKey, readPublicKeys } from "../../src/signing";
import { LOCAL, pushTestImage, uniqueRepo } from "../fixtures/registry/testImage";
import { Json, ofType, promiseOf, recorded, resetRecorded, setMocks, settle } from "../helpers/mocks";
import { shippedConfig } from "../helpers/stackConfig";
import { StackImageConfig } from "../../src/stackconfig";

const VERIFIER = path.join(__dirname, "..", "fixtures", "verifier");
const PUB = path.join(VERIFIER, "verifier.pub");
const key = parsePrivateKey(
    fs.readFileSync(path.join(VERIFIER, "verifier.key"), "utf8"),
    undefined,
    "verifier.key",
);
const keyId = readPublicKeys([PUB])[0].id;
const UID = "0b7c2a4e-1111-4222-8333-944455556666";

// A hand edit of prod's pin cannot skip what promote checks: the program refuses before any resource.
describe("program: prod requires verified digests (its default) @integration", () => {
    const client = new RegistryClient({});
    const repo = uniqueRepo(LOCAL, "program-verified");
    let run: () => Promise<Record<string, unknown>>;
    let verified: string;
    let soaking: string;
    let bare: string;
    let rejected: string;
    const config = (digest: string, overrides: Record<string, unknown> = {}) =>
        shippedConfig("prod", {
            "image-release:repository": repo,
            "image-release:digest": digest,
            "image-release:requireSignature": "false",
            "image-release:verifierKeys": PUB,
            ...overrides,
        });

    /** Signs staging's evidence for `digest`: a pass at `first` and at `last` seconds ago, soak `soak`. */
    async function stagingPassed(digest: string, soak: number, first: number, last: number): Promise<void> {
        // What recordVerification reads of staging: its name and its soak (and no kubeconfig of its own).
        const staging = { stack: "staging", checks: { soakSeconds: soak } } as StackImageConfig;
        const input = {
            stack: staging,
            pins: [{ image: "hello", repository: repo, digest }],
            ok: true,
            checks: [],
        };
        const kubectl = async () => UID;
        const base = Date.now();
        for (const ago of [first, last]) {
            await recordVerification(input, { client, key, kubectl, now: () => base - ago * 1000 });
        }
    }

    before(async () => {
        await setMocks("prod", true);
        run = (await import("../../src/program")).default;
        [verified, soaking, bare, rejected] = await Promise.all(
            ["a", "b", "c", "d"].map(
                async (s) => (await pushTestImage(client, repo, `program-verified-${s}`)).indexDigest,
            ),
        );
        await stagingPassed(verified, 60, 120, 30);
        await stagingPassed(soaking, 3600, 120, 30);
        await stagingPassed(rejected, 0, 10, 5);
        const at = new Date().toISOString();
        await signRejection(client, key, repo, {
            digest: rejected,
            lifted: false,
            reason: "leaks memory",
            stack: "staging",
            at,
            by: "user",
        });
    });
    beforeEach(resetRecorded);

    const refusals: {
        name: string;
        digest: () => string;
        overrides?: Record<string, unknown>;
        message: () => RegExp;
    }[] = [
        {
            name: "no verifier key configured",
            digest: () => verified,
            overrides: { "image-release:verifierKeys": undefined },
            message: () =>
                new RegExp(
                    `^stacks/Pulumi\\.prod\\.yaml: image-release:digest: stack "prod" requires verified digests \\(image-release:requireVerification, on by default for prod\\) but names no verifier key: set image-release:verifierKeys to the public key\\(s\\) that sign "staging"'s check evidence, or set image-release:requireVerification: "false"; refusing ${repo}@${verified}$`,
                ),
        },
        {
            name: "a digest staging never verified",
            digest: () => bare,
            message: () =>
                new RegExp(
                    `^stacks/Pulumi\\.prod\\.yaml: image-release:digest: digest ${bare} has no passing verification from stack "staging" signed by a trusted verifier key \\(${keyId} \\(${PUB}\\)\\)`,
                ),
        },
        {
            name: "a digest whose soak is not over",
            digest: () => soaking,
            message: () =>
                new RegExp(
                    `^stacks/Pulumi\\.prod\\.yaml: image-release:digest: digest ${soaking}: its soak in "staging" is not over: 1m 30s of 1h passed, 5[78]m( [0-9]+s)? left; refusing to run it in "prod"$`,
                ),
        },
        {
            name: "a rejected digest",
            digest: () => rejected,
            message: () =>
                new RegExp(
                    `^stacks/Pulumi\\.prod\\.yaml: image-release:digest: digest ${rejected} was rejected in "staging" at [0-9T:.Z-]+ by verifier key ${keyId} \\(user\\): leaks memory; refusing to run it in "prod"$`,
                ),
        },
    ];
    for (const r of refusals) {
        it(`refuses ${r.name} before any resource`, async () => {
            const cfg = config(r.digest(), r.overrides);
            for (const [k, v] of Object.entries(r.overrides ?? {})) if (v === undefined) delete cfg[k];
            pulumi.runtime.setAllConfig(cfg);
            await assert.rejects(run(), (e: unknown) => {
                assert.ok(e instanceof pulumi.RunError, String(e));
                assert.match(e.message, r.message());
                return true;
            });
            await settle();
            assert.deepStrictEqual(recorded, []);
        });
    }

    it("a digest that passed and soaked in staging deploys", async () => {
        pulumi.runtime.setAllConfig(config(verified));
        const outputs = await run();
        for (const v of Object.values(outputs)) await promiseOf(v as pulumi.Output<Json>);
        await settle();
        const [dep] = ofType("kubernetes:apps/v1:Deployment");
        assert.strictEqual(dep.inputs.spec.template.spec.containers[0].image, `${repo}@${verified}`);
    });
});
