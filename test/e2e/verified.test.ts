import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { copyImage, RegistryClient } from "../../src/registry";
import {
    parsePrivateKey,
    readPublicKeys,
    readVerifications,
    signatureArtifactTags,
    signDigest,
} from "../../src/signing";
import { pushServerImage } from "../fixtures/registry/serverImage";
import { answer, serviceUrl } from "./traffic";
import { AUTH_CREDS, LOCAL_AUTH } from "../fixtures/registry/testImage";
import {
    afterNamespace,
    deploymentImage,
    engineEnv,
    expectFailure,
    git,
    projectCopy,
    run,
    SIGNING,
    stack,
    timings,
    uniqueRun,
    VERIFIER,
    withPin,
} from "./harness";

/** staging's soak in this project copy: short, so the test waits it out. */
const SOAK = 20;

/**
 * Issue 19 under the real `pulumi up` on the real node: `check` signs evidence about what ran healthy in
 * staging with the verifier key; prod (verification on, its default) refuses a promotion until the soak
 * is over and then takes it, with the evidence in the PR; the evidence travels with the digest to another
 * registry; a rejection stops prod's own preview until a trusted lift.
 */
describe("e2e: verified promotion: staging's signed checks, the soak, rejection", function () {
    this.timeout(600_000);
    const r = uniqueRun();
    const repo = r.repository;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-verified-"));
    const logFile = path.join(stateDir, "engine.log");
    const log = (s: string) => fs.appendFileSync(logFile, s);
    const stacks: Record<string, Stack> = {};
    const client = new RegistryClient({});
    const trusted = readPublicKeys([path.join(__dirname, "..", "..", VERIFIER.pub)])[0];
    let dir = "";
    let digest = "";
    const stackFile = (env: string) => path.join(dir, "stacks", `Pulumi.${env}.yaml`);
    const edit = (env: string, change: (text: string) => string) =>
        fs.writeFileSync(stackFile(env), change(fs.readFileSync(stackFile(env), "utf8")));
    const cli = (args: string[]) =>
        run("node", [path.join(dir, "bin", "image-release.js"), ...args], dir, engineEnv(stateDir));
    const step = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
        const start = Date.now();
        const out = await f();
        timings.push({ step: `verified: ${name}`, seconds: (Date.now() - start) / 1000 });
        return out;
    };

    before(async () => {
        dir = projectCopy(r);
        const img = await pushServerImage(client, repo, {
            app: "hello",
            version: "1.5.0",
            gitSha: "5a5a5a5",
            seed: `${r.id}-1.5.0`,
        });
        digest = img.indexDigest;
        // prod requires signed digests: signed as a release would be.
        const key = parsePrivateKey(fs.readFileSync(SIGNING.key, "utf8"), SIGNING.password, SIGNING.key);
        await signDigest(client, repo, digest, key);
        // staging runs 1.5.0 (a merged promotion), serves it, and judges it by its answer over a soak.
        edit("staging", (t) =>
            afterNamespace(withPin(t, { digest, version: "1.5.0", gitSha: "5a5a5a5" }), [
                // staging reads rejections with the key that signs its checks' evidence.
                `image-release:verifierKeys: ${VERIFIER.pub}`,
                "image-release:service: true",
                "image-release:checks:",
                `  soakSeconds: ${SOAK}`,
                "  rollout: {timeoutSeconds: 60}",
                "  http:",
                `    - {name: version, service: hello, port: 8080, path: /, body: '"version":"1\\.5\\.0"'}`,
                "  job:",
                "    - {name: smoke, args: [--once, --dataset, smoke], timeoutSeconds: 60}",
            ]),
        );
        // prod: verification back on (its default), trusting the test verifier key.
        edit("prod", (t) => t.replace(/^\s*image-release:requireVerification: "false"\n/m, ""));
        git(dir, ["commit", "-q", "-am", "staging runs 1.5.0 and checks it; prod requires verification"]);
        for (const name of ["staging", "prod"]) stacks[name] = await stack(dir, name, stateDir);
        // `pulumi stack init` wrote each file's encryptionsalt: committed, as a team commits it.
        git(dir, ["commit", "-q", "-am", "pulumi stack init staging, prod"]);
    });

    after(() => {
        process.stdout.write(`\n  e2e verified run ${r.id}: project ${dir}, engine log ${logFile}\n`);
    });

    it("1.5.0 passes in staging; promote to prod is refused during the soak with the time left, and succeeds after it", async () => {
        await step("staging up", () => stacks.staging.up({ onOutput: log }));
        const first = await step("check (soak starts)", () => cli(["check", "--stack", "staging", "--json"]));
        assert.strictEqual(first.code, 0, first.stdout + first.stderr);
        const ev = JSON.parse(first.stdout) as {
            checks: { check: string; ok: boolean }[];
            evidence: { keyId: string; soak: { over: boolean; requiredSeconds: number } };
        };
        assert.deepStrictEqual(
            [
                ev.checks.map((c) => [c.check, c.ok]),
                ev.evidence.keyId,
                ev.evidence.soak.over,
                ev.evidence.soak.requiredSeconds,
            ],
            [
                [
                    ["rollout", true],
                    ["http version", true],
                    ["job smoke", true],
                ],
                trusted.id,
                false,
                SOAK,
            ],
        );
        const refused = await cli(["promote", "--from", "staging", "--to", "prod"]);
        assert.strictEqual(refused.code, 1, refused.stdout);
        assert.match(
            refused.stderr.trim(),
            new RegExp(
                `^image-release: digest ${digest}: its soak in "staging" is not over: [0-9]+s of ${SOAK}s passed, [0-9]+s left; refusing to promote it to "prod"$`,
            ),
        );
        const soaked = await step("check --wait (soak ends)", () =>
            cli(["check", "--stack", "staging", "--wait", "60", "--json"]),
        );
        assert.strictEqual(soaked.code, 0, soaked.stdout + soaked.stderr);
        const after = JSON.parse(soaked.stdout) as {
            runs: number;
            evidence: { soak: { over: boolean; soakedSeconds: number } };
        };
        // --wait looks again until the window spans the soak: a second look on a quiet machine; on a
        // loaded one its first look (rollout, http and job checks) may itself end past the soak.
        assert.deepStrictEqual([after.evidence.soak.over, [1, 2].includes(after.runs)], [true, true]);
        assert.ok(after.evidence.soak.soakedSeconds >= SOAK, `soaked ${after.evidence.soak.soakedSeconds}s`);

        const p = await cli(["promote", "--from", "staging", "--to", "prod", "--git", "--json"]);
        assert.strictEqual(p.code, 0, p.stderr);
        const promoted = JSON.parse(p.stdout) as { digest: string; branch: string; pr: { body: string } };
        assert.strictEqual(promoted.digest, digest);
        assert.match(
            promoted.pr.body,
            new RegExp(
                `verified in \`staging\` \\(cluster [0-9a-f-]{36}\\) by verifier key ${trusted.id}: rollout, http version, job smoke passed from `,
            ),
        );
        git(dir, ["checkout", "-q", "main"]);
        const before = git(dir, ["rev-parse", "HEAD"]).trim();
        git(dir, ["merge", "-q", "--ff-only", promoted.branch]);
        const merged = git(dir, ["rev-parse", "HEAD"]).trim();
        // The merge's pipeline: `deploy` finds that prod's file changed, runs its `pulumi up` through the
        // Automation API (whose preview checks the evidence too), then checks prod.
        const d = await step("deploy of the merge (prod: up, then check)", () =>
            cli(["deploy", `${before}..${merged}`, "--json"]),
        );
        assert.strictEqual(d.code, 0, d.stdout + d.stderr);
        const deployed = JSON.parse(d.stdout) as {
            ok: boolean;
            stacks: { stack: string; kind: string; outcome: string; check?: { ok: boolean } }[];
        };
        assert.deepStrictEqual(
            [deployed.ok, deployed.stacks.map((x) => [x.stack, x.kind, x.outcome, x.check?.ok])],
            [true, [["prod", "promotion", "deployed", true]]],
        );
        assert.strictEqual(deploymentImage(r.namespaces.prod), `${repo}@${digest}`);
        // The same merge deployed again changes nothing: its pin already runs.
        const again = await cli(["deploy", `${before}..${merged}`, "--json"]);
        assert.strictEqual(again.code, 0, again.stdout + again.stderr);
        const twice = JSON.parse(again.stdout) as { stacks: { outcome: string; reason: string }[] };
        assert.deepStrictEqual(
            twice.stacks.map((x) => x.outcome),
            ["skipped"],
            twice.stacks.map((x) => x.reason).join("\n"),
        );
    });

    it("the evidence travels with the digest: copied to the 5001 registry, it verifies there with the verifier key", async () => {
        const authed = new RegistryClient({ credentials: { [LOCAL_AUTH]: AUTH_CREDS } });
        const target = `${LOCAL_AUTH}/e2e-${r.id}/hello`;
        await copyImage(authed, {
            from: repo,
            to: target,
            digest,
            artifactTags: signatureArtifactTags(digest),
        });
        const here = await readVerifications(client, repo, digest, [trusted]);
        const there = await readVerifications(authed, target, digest, [trusted]);
        assert.deepStrictEqual(there, here);
        // staging's soaked evidence, and prod's from the check its deploy ran.
        assert.deepStrictEqual(
            there
                .map((e) => [e.predicate.stack, e.predicate.result, Object.values(e.predicate.members)])
                .sort(),
            [
                ["prod", "passed", [{ repository: repo, digest }]],
                ["staging", "passed", [{ repository: repo, digest }]],
            ],
        );
    });

    it("a rejected digest: prod's own preview refuses it with the reason; a trusted lift lets it through again", async () => {
        const rejected = await cli([
            "reject",
            digest,
            "--reason",
            "e2e: breaks checkout",
            "--stack",
            "staging",
        ]);
        assert.strictEqual(rejected.code, 0, rejected.stderr);
        const message = await expectFailure(stacks.prod.preview({ onOutput: log }));
        assert.match(
            message,
            new RegExp(
                `stacks/Pulumi\\.prod\\.yaml: image-release:digest: digest ${digest} was rejected in "staging" at [0-9T:.Z-]+ by verifier key ${trusted.id} \\(user\\): e2e: breaks checkout; refusing to run it in "prod"`,
            ),
        );
        const lifted = await cli(["reject", digest, "--lift", "--reason", "e2e: false alarm"]);
        assert.strictEqual(lifted.code, 0, lifted.stderr);
        await stacks.prod.preview({ onOutput: log });
    });

    it("1.6.0 is ready but its HTTP check fails: check --on-failure rollback rejects it and rolls staging back to 1.5.0; prod refuses 1.6.0 with the reason", async () => {
        const bad = await pushServerImage(client, repo, {
            app: "hello",
            version: "1.6.0",
            gitSha: "6b6b6b6",
            seed: `${r.id}-1.6.0`,
        });
        const key = parsePrivateKey(fs.readFileSync(SIGNING.key, "utf8"), SIGNING.password, SIGNING.key);
        await signDigest(client, repo, bad.indexDigest, key);
        edit("staging", (t) => withPin(t, { digest: bad.indexDigest, version: "1.6.0", gitSha: "6b6b6b6" }));
        git(dir, ["commit", "-q", "-am", "staging runs 1.6.0"]);
        await step("staging up 1.6.0", () => stacks.staging.up({ onOutput: log }));
        const started = Date.now();
        const c = await cli(["check", "--stack", "staging", "--on-failure", "rollback", "--json"]);
        timings.push({
            step: "verified: check --on-failure rollback",
            seconds: (Date.now() - started) / 1000,
        });
        assert.strictEqual(c.code, 1, c.stdout + c.stderr);
        const res = JSON.parse(c.stdout) as {
            checks: { check: string; ok: boolean }[];
            rejected: { digest: string }[];
            autoRollback: {
                rollback: { digest: string; branch: string };
                up: string;
                after: { ok: boolean };
            };
        };
        assert.deepStrictEqual(
            [
                res.checks.map((x) => [x.check, x.ok]),
                res.rejected.map((x) => x.digest),
                res.autoRollback.rollback.digest,
                res.autoRollback.up,
                res.autoRollback.after.ok,
            ],
            [
                [
                    ["rollout", true],
                    ["http version", false],
                    ["job smoke", true],
                ],
                [bad.indexDigest],
                digest,
                "succeeded",
                true,
            ],
        );
        assert.strictEqual((await answer(serviceUrl(r.namespaces.staging, "hello"))).version, "1.5.0");
        // main still pins 1.6.0 until the rollback PR merges: status shows it as rolled back, not drift.
        git(dir, ["checkout", "-q", "main"]);
        const st = await cli(["status", "--cluster", "--json"]);
        const rows = JSON.parse(st.stdout) as {
            stack: string;
            clusterDrift?: unknown[];
            rolledBack?: { branch: string; workload: string }[];
        }[];
        const staging = rows.find((x) => x.stack === "staging");
        assert.deepStrictEqual(
            // The app's Deployment and the training Job both run the rolled-back pin.
            [
                staging?.clusterDrift,
                staging?.rolledBack?.map((x) => [x.workload.split("/")[0], x.branch]).sort(),
            ],
            [
                [],
                [
                    ["Deployment", res.autoRollback.rollback.branch],
                    ["Job", res.autoRollback.rollback.branch],
                ],
            ],
        );
        // The rollback's `up` listed 1.6.0's rejection in the namespace's admission policy: a hand-run
        // `kubectl rollout undo` back to it is refused by the API server, with the reason.
        const undo = await run(
            "kubectl",
            ["rollout", "undo", "deployment/hello", "-n", r.namespaces.staging],
            dir,
            engineEnv(stateDir),
        );
        assert.strictEqual(undo.code, 1, undo.stdout);
        assert.match(
            undo.stderr.trim(),
            new RegExp(
                `ValidatingAdmissionPolicy 'image-release-${r.namespaces.staging}' with binding 'image-release-${r.namespaces.staging}' denied request: image-release: Deployment hello runs a rejected digest: digest ${bad.indexDigest} was rejected in "staging" at [0-9T:.Z-]+ by verifier key ${trusted.id} \\(check\\): check failed in "staging": http version: `,
            ),
        );
        assert.strictEqual(deploymentImage(r.namespaces.staging), `${repo}@${digest}`);
        const refused = await cli(["promote", "--from", "staging", "--to", "prod"]);
        assert.strictEqual(refused.code, 1, refused.stdout);
        assert.match(
            refused.stderr.trim(),
            new RegExp(
                `^image-release: digest ${bad.indexDigest} was rejected in "staging" at [0-9T:.Z-]+ by verifier key ${trusted.id} \\(check\\): check failed in "staging": http version: GET / on Service hello:8080 answered 200, but its body does not match .*; refusing to promote it to "prod"$`,
            ),
        );
    });
});
