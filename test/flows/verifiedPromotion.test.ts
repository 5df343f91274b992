import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { check, promote, reject, rollback, status } from "../../src/flows";
import { parsePrivateKey, readPublicKeys, readRejections, readVerifications } from "../../src/signing";
import { commitAll, git, makeRepo } from "../fixtures/cli/repo";
import { cluster, T0, UID } from "../fixtures/deploy/evidence";
import { testClient } from "../fixtures/cli/scenarios";
import { LOCAL, pushTestImage, TestImage, uniqueRepo } from "../fixtures/registry/testImage";

const VERIFIER = path.join(__dirname, "..", "fixtures", "verifier");
const client = testClient();
const keyOf = (name: string) =>
    parsePrivateKey(fs.readFileSync(path.join(VERIFIER, `${name}.key`), "utf8"), undefined, `${name}.key`);
const verifier = keyOf("verifier");
const trusted = readPublicKeys([path.join(VERIFIER, "verifier.pub")])[0];

/** A clock at `ms` that moves only when the code under test sleeps. */
function clockAt(ms: number) {
    let t = ms;
    return { now: () => t, sleep: async (x: number) => void (t += x) };
}

const stackPath = (dir: string, stack: string) => path.join(dir, "stacks", `Pulumi.${stack}.yaml`);
const read = (dir: string, stack: string) => fs.readFileSync(stackPath(dir, stack), "utf8");

/** The fixture repo: staging soaks for 10 minutes, prod requires verification (its default) by `verifier.pub`. */
function verifiedRepo(repo: string, prodDigest: string): string {
    const dir = makeRepo(repo, prodDigest);
    fs.writeFileSync(
        stackPath(dir, "prod"),
        read(dir, "prod").replace(
            / *# Verified promotion[^\n]*\n *image-release:requireVerification: "false"\n/,
            `    image-release:verifierKeys: ${path.join(VERIFIER, "verifier.pub")}\n`,
        ),
    );
    fs.writeFileSync(
        stackPath(dir, "staging"),
        read(dir, "staging") + "    image-release:checks:\n        soakSeconds: 600\n",
    );
    commitAll(dir, "prod requires verification", 2);
    return dir;
}

function stagingRuns(dir: string, digest: string, n: number): void {
    fs.writeFileSync(
        stackPath(dir, "staging"),
        read(dir, "staging").replace(/digest: sha256:[0-9a-f]{64}/, `digest: ${digest}`),
    );
    commitAll(dir, `staging runs ${digest.slice(7, 19)}`, n);
}

describe("verified promotion: signed check evidence, soak, rejection @integration", function () {
    this.timeout(60_000);
    let repo: string;
    let img0: TestImage;
    let img1: TestImage;
    let img2: TestImage;
    let dir: string;
    let o: { stacksDir: string; repoRoot: string };

    before(async () => {
        repo = uniqueRepo(LOCAL, "verified");
        img0 = await pushTestImage(client, repo, "verified-0");
        img1 = await pushTestImage(client, repo, "verified-1");
        img2 = await pushTestImage(client, repo, "verified-2");
        dir = verifiedRepo(repo, img0.indexDigest);
        o = { stacksDir: path.join(dir, "stacks"), repoRoot: dir };
        stagingRuns(dir, img1.indexDigest, 3);
    });

    const at = (s: number) => () => new Date(T0 + s * 1000);
    /** A check at T0 + `s` seconds; the clock moves only when the check sleeps between looks. */
    const checkAt = (s: number, image = () => `${repo}@${img1.indexDigest}`, extra = {}) => {
        let t = T0 + s * 1000;
        return check(
            { ...o, stack: "staging", verifierKey: verifier, ...extra },
            { kubectl: cluster(image), client, now: () => t, sleep: async (ms) => void (t += ms) },
        );
    };

    it("refuses a digest with no evidence, naming the stack, the key and the command", async () => {
        const before = read(dir, "prod");
        await assert.rejects(promote({ ...o, from: "staging", to: "prod" }, { client, now: at(0) }), {
            message: `digest ${img1.indexDigest} has no passing verification from stack "staging" signed by a trusted verifier key (${trusted.id} (${path.join(VERIFIER, "verifier.pub")})): run \`image-release check --stack staging\` with IMAGE_RELEASE_VERIFIER_KEY after its \`pulumi up\`; refusing to promote it to "prod"`,
        });
        assert.strictEqual(read(dir, "prod"), before);
    });

    it("a passing check signs evidence into the digest's .att; promote during the soak says the time left", async () => {
        const r = await checkAt(0);
        assert.strictEqual(r.ok, true);
        assert.deepStrictEqual(r.evidence?.soak, {
            over: false,
            requiredSeconds: 600,
            soakedSeconds: 0,
            leftSeconds: 600,
        });
        assert.deepStrictEqual(r.evidence?.attestations, [
            `${repo}:${img1.indexDigest.replace(":", "-")}.att`,
        ]);
        const [ev] = await readVerifications(client, repo, img1.indexDigest, [trusted]);
        const name = Object.keys(ev.predicate.members)[0];
        assert.deepStrictEqual(ev.predicate, {
            stack: "staging",
            cluster: UID,
            members: { [name]: { repository: repo, digest: img1.indexDigest } },
            result: "passed",
            checks: [
                {
                    check: "rollout",
                    ok: true,
                    seconds: 0,
                    observed: ["every workload of namespace staging ready on its pinned digest"],
                },
            ],
            soakSeconds: 600,
            firstPassed: "2026-12-06T10:00:00.000Z",
            lastPassed: "2026-12-06T10:00:00.000Z",
        });
        await assert.rejects(promote({ ...o, from: "staging", to: "prod" }, { client, now: at(240) }), {
            message: `digest ${img1.indexDigest}: its soak in "staging" is not over: 0s of 10m passed, 6m left; refusing to promote it to "prod"`,
        });
    });

    it("evidence signed by a key prod does not trust counts for nothing", async () => {
        const other = keyOf("other-verifier");
        await check(
            { ...o, stack: "staging", verifierKey: other },
            { kubectl: cluster(() => `${repo}@${img1.indexDigest}`), client, now: () => T0 + 900_000 },
        );
        await assert.rejects(promote({ ...o, from: "staging", to: "prod" }, { client, now: at(1000) }), {
            message: `digest ${img1.indexDigest}: its soak time in "staging" has passed but no check recorded it (0s of 10m recorded): run \`image-release check --stack staging\`; refusing to promote it to "prod"`,
        });
    });

    it("a check after the soak closes it (one statement per key and subject); promote then writes the evidence into the PR", async () => {
        const r = await checkAt(600);
        assert.strictEqual(r.evidence?.soak?.over, true);
        const all = await readVerifications(client, repo, img1.indexDigest, [trusted]);
        assert.deepStrictEqual(
            all.map((s) => [s.predicate.firstPassed, s.predicate.lastPassed]),
            [["2026-12-06T10:00:00.000Z", "2026-12-06T10:10:00.000Z"]],
        );
        const p = await promote({ ...o, from: "staging", to: "prod", git: true }, { client, now: at(601) });
        assert.strictEqual(p.digest, img1.indexDigest);
        assert.match(
            p.pr?.body ?? "",
            new RegExp(
                `verified in \`staging\` \\(cluster ${UID}\\) by verifier key ${trusted.id}: rollout passed from 2026-12-06T10:00:00.000Z to 2026-12-06T10:10:00.000Z, soaked 10m`,
            ),
        );
    });

    it("--wait waits the soak out within its bound, checking again", async () => {
        stagingRuns(dir, img2.indexDigest, 5);
        let t = T0 + 3_600_000;
        const r = await check(
            { ...o, stack: "staging", verifierKey: verifier, waitSeconds: 900 },
            {
                kubectl: cluster(() => `${repo}@${img2.indexDigest}`),
                client,
                now: () => t,
                sleep: async (ms) => void (t += ms),
            },
        );
        assert.deepStrictEqual(
            [r.runs, r.evidence?.soak?.over, r.evidence?.soak?.soakedSeconds],
            [2, true, 600],
        );
        const short = await check(
            { ...o, stack: "staging", verifierKey: keyOf("other-verifier"), waitSeconds: 60 },
            {
                kubectl: cluster(() => `${repo}@${img2.indexDigest}`),
                client,
                now: () => t,
                sleep: async () => {},
            },
        );
        assert.deepStrictEqual([short.runs, short.evidence?.soak?.leftSeconds], [1, 600]);
    });

    it("a rejected digest is refused with its reason until a trusted lift; --on-failure reject signs one for a failed run", async () => {
        const r = await reject(
            {
                ...o,
                digest: img2.indexDigest,
                reason: "breaks checkout",
                stack: "staging",
                verifierKey: verifier,
            },
            { client, now: at(7200) },
        );
        assert.deepStrictEqual(r.attestations, [`${repo}:${img2.indexDigest.replace(":", "-")}.att`]);
        await assert.rejects(promote({ ...o, from: "staging", to: "prod" }, { client, now: at(7300) }), {
            message: `digest ${img2.indexDigest} was rejected in "staging" at 2026-12-06T12:00:00.000Z by verifier key ${trusted.id} (user): breaks checkout; refusing to promote it to "prod"`,
        });
        await reject(
            { ...o, digest: img2.indexDigest, reason: "fixed config", lift: true, verifierKey: verifier },
            { client, now: at(7400) },
        );
        const p = await promote({ ...o, from: "staging", to: "prod" }, { client, now: at(7500) });
        assert.strictEqual(p.digest, img2.indexDigest);
        // A failed run of a digest staging never verified rejects it by itself.
        stagingRuns(dir, img0.indexDigest, 6);
        const failed = await checkAt(8000, () => `${repo}@${img1.indexDigest}`, { onFailure: "reject" });
        assert.strictEqual(failed.ok, false);
        assert.deepStrictEqual(
            failed.rejected?.map((x) => x.digest),
            [img0.indexDigest],
        );
        const [standing] = await readRejections(client, repo, img0.indexDigest, [trusted]);
        assert.strictEqual(standing.predicate.by, "check");
        assert.strictEqual(
            standing.predicate.reason,
            `check failed in "staging": rollout: Deployment/hello container app runs ${repo}@${img1.indexDigest}, not the pin ${repo}@${img0.indexDigest} (after 300s)`,
        );
    });

    it("rollback skips a rejected digest, and refuses one named by --to with its rejection", async () => {
        // prod: img0 (first), img1, img2 now. img1 stays good; reject it to see rollback pass over it.
        await reject(
            { ...o, digest: img1.indexDigest, reason: "memory leak", verifierKey: verifier },
            { client, now: at(9000) },
        );
        await assert.rejects(rollback({ ...o, stack: "prod", to: img1.indexDigest }, { client }), {
            message: `digest ${img1.indexDigest} was rejected at 2026-12-06T12:30:00.000Z by verifier key ${trusted.id} (user): memory leak; refusing to roll "prod" back to it`,
        });
        // img0 was rejected by the failed check: nothing earlier is left.
        await assert.rejects(rollback({ ...o, stack: "prod" }, { client }), {
            message: 'stack "prod" has only 0 earlier digest(s) in git history; cannot go back 1',
        });
    });

    it("refuses bad input by name, writing nothing", async () => {
        const cases: [Parameters<typeof reject>[0], string][] = [
            [
                { ...o, digest: "sha256:abc", reason: "x", verifierKey: verifier },
                '"sha256:abc" is not a digest (sha256:<64 hex>)',
            ],
            [
                { ...o, digest: img1.indexDigest, reason: " ", verifierKey: verifier },
                '--reason " ": a reason is required',
            ],
            [
                { ...o, digest: img1.indexDigest, reason: "x" },
                "a rejection is signed by a verifier key: set IMAGE_RELEASE_VERIFIER_KEY",
            ],
            [
                {
                    ...o,
                    digest: `sha256:${"9".repeat(64)}`,
                    reason: "x",
                    stack: "staging",
                    verifierKey: verifier,
                },
                `digest sha256:${"9".repeat(64)} is in none of ${repo} (the repositories of stack "staging"); nothing to reject`,
            ],
        ];
        for (const [input, message] of cases) await assert.rejects(reject(input, { client }), { message });
        await assert.rejects(
            check({ ...o, stack: "staging", waitSeconds: 10 }, { kubectl: cluster(() => "") }),
            {
                message: "--wait needs a verifier key to sign with: set IMAGE_RELEASE_VERIFIER_KEY",
            },
        );
    });

    it("--on-failure rollback: rejects the new pin, rolls back to the newest verified one (branch and PR), ups it, checks again; status calls it rolled back, not drift", async () => {
        const img3 = await pushTestImage(client, repo, "verified-3");
        stagingRuns(dir, img3.indexDigest, 8);
        let running = img1.indexDigest;
        const ups: string[] = [];
        let t = T0 + 20_000_000;
        const r = await check(
            { ...o, stack: "staging", verifierKey: verifier, onFailure: "rollback" },
            {
                kubectl: cluster(() => `${repo}@${running}`),
                client,
                now: () => t,
                sleep: async (ms) => void (t += ms),
                up: async (stack, workDir) => {
                    ups.push(`${stack} ${workDir} ${read(dir, "staging").includes(img2.indexDigest)}`);
                    running = img2.indexDigest;
                },
            },
        );
        // img0 (rejected by the earlier failed check) is passed over; img2 passed staging's checks before.
        assert.deepStrictEqual(
            [r.ok, r.rejected?.map((x) => x.digest), r.autoRollback?.rollback?.digest, r.autoRollback?.up],
            [false, [img3.indexDigest], img2.indexDigest, "succeeded"],
        );
        assert.deepStrictEqual(ups, [`staging ${dir} true`]);
        assert.deepStrictEqual(
            [r.autoRollback?.after?.ok, r.autoRollback?.after?.pins[0].digest],
            [true, img2.indexDigest],
        );
        const branch = r.autoRollback?.rollback?.branch as string;
        assert.match(branch, /^rollback\/staging-/);
        git(dir, ["checkout", "-q", "main"]);
        const rows = await status(
            { ...o, cluster: true },
            { client, kubectl: cluster(() => `${repo}@${running}`) },
        );
        const staging = rows.find((x) => x.stack === "staging");
        assert.deepStrictEqual(
            [staging?.clusterDrift, staging?.rolledBack?.map((d) => [d.branch, d.running])],
            [[], [[branch, `${repo}@${img2.indexDigest}`]]],
        );
    });

    it("--on-failure rollback with no verified earlier pin says so and changes nothing", async () => {
        const lonely = makeRepo(repo, img0.indexDigest);
        const before = read(lonely, "staging");
        const r = await check(
            {
                stacksDir: path.join(lonely, "stacks"),
                repoRoot: lonely,
                stack: "staging",
                verifierKey: keyOf("other-verifier"),
                onFailure: "rollback",
            },
            {
                kubectl: cluster(() => "127.0.0.1:5000/elsewhere@" + img1.indexDigest, 0),
                client,
                ...clockAt(T0),
            },
        );
        assert.strictEqual(
            r.autoRollback?.skipped,
            `no earlier pin of stack "staging" (last 10, rejected ones skipped) passed its checks with verifier key ${keyOf("other-verifier").id}; nothing rolled back`,
        );
        assert.strictEqual(read(lonely, "staging"), before);
    });
});
