import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadStack, rejectedPins, signRejection } from "../../src/flows";
import { RegistryClient } from "../../src/registry";
import { parsePrivateKey, readPublicKeys } from "../../src/signing";
import { commitAll, makeRepo } from "../fixtures/cli/repo";
import { testClient } from "../fixtures/cli/scenarios";
import { LOCAL, pushTestImage, TestImage, uniqueRepo } from "../fixtures/registry/testImage";

const VERIFIER = path.join(__dirname, "..", "fixtures", "verifier");
const verifier = parsePrivateKey(
    fs.readFileSync(path.join(VERIFIER, "verifier.key"), "utf8"),
    undefined,
    "v",
);
const trusted = readPublicKeys([path.join(VERIFIER, "verifier.pub")])[0];

/** What the namespace's admission policy refuses: rejections of digests the stack or its source pinned. */
describe("rejectedPins: the rejected digests a stack's admission policy refuses @integration", function () {
    this.timeout(60_000);
    const client = testClient();
    let repo: string;
    let img: TestImage[];
    let dir: string;
    let o: { stacksDir: string; repoRoot: string };
    const file = (stack: string) => path.join(dir, "stacks", `Pulumi.${stack}.yaml`);
    const edit = (stack: string, fn: (s: string) => string) =>
        fs.writeFileSync(file(stack), fn(fs.readFileSync(file(stack), "utf8")));
    const pin = (stack: string, digest: string) =>
        edit(stack, (s) => s.replace(/digest: sha256:[0-9a-f]{64}/, `digest: ${digest}`));
    const reject = (digest: string, lifted: boolean, at: string, reason: string) =>
        signRejection(client, verifier, repo, { digest, lifted, reason, at, by: "user" });

    before(async () => {
        repo = uniqueRepo(LOCAL, "rejected-pins");
        img = [];
        for (const seed of ["p0", "p1", "p2", "p3", "p4"]) img.push(await pushTestImage(client, repo, seed));
        dir = makeRepo(repo, img[0].indexDigest);
        o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        edit("prod", (s) =>
            s.replace(
                / *# Verified promotion[^\n]*\n *image-release:requireVerification: "false"\n/,
                `    image-release:verifierKeys: ${path.join(VERIFIER, "verifier.pub")}\n`,
            ),
        );
        commitAll(dir, "prod trusts the verifier", 2);
        // staging (prod's promoteFrom) ran p1 then p2; prod itself ran p0 then p3.
        pin("staging", img[1].indexDigest);
        commitAll(dir, "staging runs p1", 3);
        pin("staging", img[2].indexDigest);
        commitAll(dir, "staging runs p2", 4);
        pin("prod", img[3].indexDigest);
        commitAll(dir, "prod runs p3", 5);
        await reject(img[1].indexDigest, false, "2026-12-06T10:00:00.000Z", "http /healthz answered 500");
        await reject(img[0].indexDigest, false, "2026-12-06T10:00:00.000Z", "memory leak");
        // Rejected, then lifted: not refused.
        await reject(img[2].indexDigest, false, "2026-12-06T10:00:00.000Z", "flaky");
        await reject(img[2].indexDigest, true, "2026-12-06T11:00:00.000Z", "the check was wrong");
        // Rejected, but pinned by no stack of the project: not this namespace's business.
        await reject(img[4].indexDigest, false, "2026-12-06T10:00:00.000Z", "never shipped");
    });

    it("lists the standing rejections of the stack's own pins, then of its promoteFrom's, newest first in each", async () => {
        const prod = loadStack(o, "prod");
        assert.deepStrictEqual(await rejectedPins(prod, dir, [], client), [
            {
                digest: img[0].indexDigest,
                summary: `digest ${img[0].indexDigest} was rejected at 2026-12-06T10:00:00.000Z by verifier key ${trusted.id} (user): memory leak`,
            },
            {
                digest: img[1].indexDigest,
                summary: `digest ${img[1].indexDigest} was rejected at 2026-12-06T10:00:00.000Z by verifier key ${trusted.id} (user): http /healthz answered 500`,
            },
        ]);
    });

    it("reads none without verifier keys: staging trusts no key, so it can read no rejection", async () => {
        assert.deepStrictEqual(await rejectedPins(loadStack(o, "staging"), dir, [], client), []);
    });

    it("names the digest and the step when a pin's rejections cannot be read", async () => {
        const prod = loadStack(o, "prod");
        const down = new RegistryClient({
            timeoutMs: 500,
            retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
        });
        const pin = { image: "hello", repository: "127.0.0.1:1/app", digest: img[3].indexDigest };
        await assert.rejects(rejectedPins(prod, dir, [pin], down), (e: Error) => {
            assert.match(
                e.message,
                new RegExp(
                    `^${prod.file.replace(/[.]/g, "\\.")}: cannot read the rejections of 127\\.0\\.0\\.1:1/app@${img[3].indexDigest} \\(one of its recent pins\\) for the namespace's admission policy: `,
                ),
            );
            return true;
        });
    });
});
