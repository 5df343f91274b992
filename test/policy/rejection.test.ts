import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { signRejection } from "../../src/flows";
import { RejectionCache, rejectedWorkloadViolations, verifierKeysOf } from "../../src/policy";
import { RegistryClient } from "../../src/registry";
import { parsePrivateKey, readPublicKeys, SigningKey } from "../../src/signing";
import { testClient } from "../fixtures/cli/scenarios";
import { LOCAL, pushTestImage, TestImage, uniqueRepo } from "../fixtures/registry/testImage";

const VERIFIER = path.join(__dirname, "..", "fixtures", "verifier");
const pem = (name: string) => fs.readFileSync(path.join(VERIFIER, `${name}.pub`), "utf8");
const verifier = parsePrivateKey(
    fs.readFileSync(path.join(VERIFIER, "verifier.key"), "utf8"),
    undefined,
    "v",
);
const other = parsePrivateKey(
    fs.readFileSync(path.join(VERIFIER, "other-verifier.key"), "utf8"),
    undefined,
    "o",
);
const trusted = readPublicKeys([path.join(VERIFIER, "verifier.pub")])[0];
const CONFIG = "policy pack config rejected-digest-refused.verifierKeys";

/** A Deployment's inputs as the engine hands them to the pack. */
const deployment = (...images: string[]) => ({
    type: "kubernetes:apps/v1:Deployment",
    props: {
        spec: { template: { spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } } },
    },
});

describe("rejected-digest-refused: the pack reads rejections from the registry @integration", function () {
    this.timeout(60_000);
    const client = testClient();
    let repo: string;
    let good: TestImage;
    let bad: TestImage;
    let forged: TestImage;
    const run = (
        stack: string,
        r: ReturnType<typeof deployment>,
        keys: string[],
        c: RegistryClient = client,
    ) => rejectedWorkloadViolations(stack, r, { verifierKeys: keys }, { client: c, cache: new Map() });

    before(async () => {
        repo = uniqueRepo(LOCAL, "pack-rejection");
        good = await pushTestImage(client, repo, "good");
        bad = await pushTestImage(client, repo, "bad");
        forged = await pushTestImage(client, repo, "forged");
        const rejection = (digest: string, lifted: boolean, at: string, reason: string) => ({
            digest,
            lifted,
            reason,
            stack: "staging",
            at,
            by: "check" as const,
        });
        const signed: [SigningKey, string, boolean, string, string][] = [
            [verifier, bad.indexDigest, false, "2026-12-06T10:00:00.000Z", "http /healthz answered 500"],
            // Rejected, then lifted by a trusted key: it runs again.
            [verifier, good.indexDigest, false, "2026-12-06T10:00:00.000Z", "flaky"],
            [verifier, good.indexDigest, true, "2026-12-06T11:00:00.000Z", "flaky check, fixed"],
            // Rejected by a key the pack does not trust: no effect.
            [other, forged.indexDigest, false, "2026-12-06T10:00:00.000Z", "someone else's"],
        ];
        for (const [key, digest, lifted, at, reason] of signed) {
            await signRejection(client, key, repo, rejection(digest, lifted, at, reason));
        }
    });

    it("refuses a rejected digest in any stack, naming the workload, the image and the rejection", async () => {
        const cases: [string, ReturnType<typeof deployment>, string[]][] = [
            [
                "staging",
                deployment(`${repo}@${good.indexDigest}`, `${repo}@${bad.indexDigest}`),
                [
                    `the Deployment runs ${repo}@${bad.indexDigest}: digest ${bad.indexDigest} was rejected in "staging" at 2026-12-06T10:00:00.000Z by verifier key ${trusted.id} (check): http /healthz answered 500`,
                ],
            ],
            ["prod", deployment(`${repo}@${good.indexDigest}`), []],
            ["prod", deployment(`${repo}@${forged.indexDigest}`), []],
            // Tags are digest-pins-required's business; a tag and a digest is judged by the digest.
            ["dev", deployment(`${repo}:1.4.2`), []],
            [
                "dev",
                deployment(`${repo}:1.6.0@${bad.indexDigest}`),
                [
                    `the Deployment runs ${repo}:1.6.0@${bad.indexDigest}: digest ${bad.indexDigest} was rejected in "staging" at 2026-12-06T10:00:00.000Z by verifier key ${trusted.id} (check): http /healthz answered 500`,
                ],
            ],
        ];
        for (const [stack, resource, want] of cases) {
            assert.deepStrictEqual(
                await run(stack, resource, [pem("verifier")]),
                want,
                `${stack} ${JSON.stringify(resource)}`,
            );
        }
    });

    it("reads each digest once per pack run, for every workload that runs it", async () => {
        const cache: RejectionCache = new Map();
        const resource = deployment(`${repo}@${bad.indexDigest}`);
        for (const stack of ["staging", "prod"]) {
            await rejectedWorkloadViolations(
                stack,
                resource,
                { verifierKeys: [pem("verifier")] },
                { client, cache },
            );
        }
        assert.deepStrictEqual([...cache.keys()], [`${repo}@${bad.indexDigest}`]);
    });

    it("fails closed when the registry can't be read, naming the digest", async () => {
        const down = new RegistryClient({
            timeoutMs: 500,
            retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
        });
        const missing = `127.0.0.1:1/app@${bad.indexDigest}`;
        const [v] = await run("staging", deployment(missing), [pem("verifier")], down);
        assert.match(
            v,
            new RegExp(
                `^the Deployment runs 127\\.0\\.0\\.1:1/app@${bad.indexDigest}: cannot read the rejections of 127\\.0\\.0\\.1:1/app@${bad.indexDigest} \\(.+\\); a digest whose rejections can't be read is not deployed$`,
            ),
        );
    });
});

describe("rejected-digest-refused: its config and where it applies", () => {
    const never = { client: undefined as unknown as RegistryClient, cache: new Map() as RejectionCache };
    const D = "sha256:" + "0123456789abcdef".repeat(4);

    it("needs a trusted verifier key in prod, and judges other stacks only once the pack names one", async () => {
        const cases: [string, Record<string, unknown>, string[]][] = [
            [
                "prod",
                {},
                [
                    `stack prod refuses rejected digests, and the policy pack trusts no verifier key: run it with --policy-pack-config <file> holding {"rejected-digest-refused":{"verifierKeys":["<PEM>"]}}, the verifier public keys the stack's image-release:verifierKeys names`,
                ],
            ],
            ["staging", {}, []],
            [
                "prod",
                { verifierKeys: "a.pub" },
                [`${CONFIG}: expected a list of PEM public keys, got "a.pub"`],
            ],
            [
                "staging",
                { verifierKeys: ["keys/verifier.pub"] },
                [`${CONFIG}[0]: "keys/verifier.pub" is not a PEM public key (-----BEGIN PUBLIC KEY-----)`],
            ],
        ];
        for (const [stack, config, want] of cases) {
            assert.deepStrictEqual(
                await rejectedWorkloadViolations(stack, deployment(`r.example/app@${D}`), config, never),
                want,
                `${stack} ${JSON.stringify(config)}`,
            );
        }
    });

    it("leaves alone what runs no digest: other resources, unpinned images, a Patch without images", async () => {
        const cases: { type: string; props: Record<string, unknown> }[] = [
            { type: "kubernetes:core/v1:ConfigMap", props: { data: { image: `r.example/app@${D}` } } },
            deployment("r.example/app:1.4.2"),
            { type: "kubernetes:apps/v1:DeploymentPatch", props: { spec: { replicas: 3 } } },
        ];
        for (const r of cases)
            assert.deepStrictEqual(await rejectedWorkloadViolations("prod", r, {}, never), []);
    });

    it("parses PEM keys and names the bad one", () => {
        assert.deepStrictEqual(
            (verifierKeysOf({ verifierKeys: [pem("verifier")] }) as { keys: { id: string }[] }).keys.map(
                (k) => k.id,
            ),
            [trusted.id],
        );
        const notEc = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        const result = verifierKeysOf({ verifierKeys: [pem("verifier"), notEc] });
        assert.ok(
            "problem" in result && result.problem.startsWith(`${CONFIG}[1]: not a PEM public key: `),
            JSON.stringify(result),
        );
    });
});
