import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { copyCheckout } from "../fixtures/checkout";
import {
    afterNamespace,
    engineEnv,
    expectFailure,
    git,
    kubectl,
    REGISTRY,
    registryDigest,
    run,
    SIGNING,
    stack,
    timings,
    VERIFIER,
} from "./harness";

const SHIPPED = "127.0.0.1:5000/image-release/shop";
const IMAGES = ["api", "worker"] as const;
type Set = Record<(typeof IMAGES)[number], string>;

/**
 * Issue 17 under a real `pulumi up`: examples/shop, a team's own program with two images, a local Helm
 * chart (the api) and a plain YAML CronJob (the worker), none of which names a digest. The steps build
 * on each other: dev builds both, the set moves to staging as one PR, then to prod, and rolls back.
 */
describe("e2e: examples/shop, a set of two images in a Helm chart and a CronJob", function () {
    this.timeout(900_000);
    const id = Math.random().toString(16).slice(2, 8);
    const repo = `${REGISTRY}/e2e-${id}/shop`;
    const ns = (env: string) => `e2e-${id}-shop-${env}`;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-shop-state-"));
    const logFile = path.join(stateDir, "engine.log");
    const log = (s: string) => fs.appendFileSync(logFile, s);
    let root = "";
    let shop = "";
    const stacks: Record<string, Stack> = {};
    /** The sets dev built: [0] first, [1] after the api changed. */
    const built: Set[] = [];

    const cli = (args: string[]) =>
        run(
            "node",
            [path.join(root, "bin", "image-release.js"), ...args, "--repo-root", "examples/shop"],
            root,
            engineEnv(stateDir),
        );
    const stackFile = (env: string) => path.join(shop, "stacks", `Pulumi.${env}.yaml`);
    const images = (env: string): Set => ({
        api: kubectl([
            "get",
            "deployment",
            "api",
            "-n",
            ns(env),
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ]),
        worker: kubectl([
            "get",
            "cronjob",
            "worker-nightly",
            "-n",
            ns(env),
            "-o",
            "jsonpath={.spec.jobTemplate.spec.template.spec.containers[0].image}",
        ]),
    });
    const pinned = (set: Set): Set => ({
        api: `${repo}/api@${set.api}`,
        worker: `${repo}/worker@${set.worker}`,
    });
    const releases = async (env: string): Promise<Set> => {
        const out = (await stacks[env].outputs()).releases.value as Record<string, { digest: string }>;
        return { api: out.api.digest, worker: out.worker.digest };
    };
    const up = async (env: string) => stacks[env].up({ onOutput: log });

    before(async () => {
        root = copyCheckout(
            "image-release-shop-e2e-",
            (env, text) => {
                const ours = text
                    .split(SHIPPED)
                    .join(repo)
                    .replace(/^(\s*image-release:namespace:) .*$/m, `$1 ${ns(env)}`);
                // prod requires signed digests (its default): it trusts the test release key.
                if (env === "prod") {
                    return afterNamespace(ours, [
                        `image-release:signingKey: ../../${SIGNING.pub}`,
                        `image-release:verifierKeys: ../../${VERIFIER.pub}`,
                    ]);
                }
                // `check` judges the rollout within 20 s (kwok's Pods: no HTTP check here).
                if (env === "staging") {
                    return afterNamespace(ours, ["image-release:checks:", "  rollout: {timeoutSeconds: 20}"]);
                }
                return ours;
            },
            {},
            "examples/shop/stacks",
        );
        shop = path.join(root, "examples", "shop");
        // The CronJob names its repository as a team's manifest does: this run's.
        const cron = path.join(shop, "cronjob.yaml");
        fs.writeFileSync(cron, fs.readFileSync(cron, "utf8").split(SHIPPED).join(repo));
        git(root, ["commit", "-qam", "this run's repositories"]);
        for (const env of ["dev", "staging", "prod"]) stacks[env] = await stack(shop, env, stateDir);
    });

    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: `shop: ${t.title}`, seconds: (t.duration ?? 0) / 1000 });
    });

    after(() => {
        for (const env of ["dev", "staging", "prod"]) {
            try {
                // The policy and its binding are cluster-wide: the stack's, gone with its namespace.
                if (env !== "dev") {
                    kubectl([
                        "delete",
                        "validatingadmissionpolicybinding,validatingadmissionpolicy",
                        `image-release-${ns(env)}`,
                        "--ignore-not-found",
                    ]);
                }
                kubectl(["delete", "namespace", ns(env), "--wait=false"]);
            } catch {
                // Never created when an earlier step failed.
            }
        }
        fs.rmSync(root, { recursive: true, force: true });
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("dev creates its namespace, builds both images, and the chart and CronJob run them by digest", async () => {
        assert.throws(() => kubectl(["get", "namespace", ns("dev")]), /not found/);
        const r = await up("dev");
        assert.strictEqual(r.summary.result, "succeeded");
        built.push(await releases("dev"));
        for (const name of IMAGES) {
            assert.match(built[0][name], /^sha256:[0-9a-f]{64}$/);
            assert.strictEqual(await registryDigest(`${repo}/${name}`, "1.0.0"), built[0][name]);
        }
        assert.deepStrictEqual(images("dev"), pinned(built[0]));
        assert.strictEqual(
            kubectl(["get", "namespace", ns("dev"), "-o", "jsonpath={.status.phase}"]),
            "Active",
        );
    });

    it("dev rebuilds only the image whose context changed", async () => {
        // A change only the api's context holds, released as its own version (X.Y.Z tags are immutable).
        fs.writeFileSync(path.join(shop, "api", "version.json"), '{ "version": "1.1.0" }\n');
        git(root, ["add", "-A"]);
        git(root, ["commit", "-q", "-m", "api 1.1.0"]);
        const updated: string[] = [];
        const r = await stacks.dev.up({
            onOutput: log,
            onEvent: (e) => {
                const m = e.resOutputsEvent?.metadata;
                if (m?.op === "update") updated.push(`${m.type} ${m.urn.split("::").pop()}`);
            },
        });
        // The api's image and the chart's Deployment that runs it; nothing of the worker.
        assert.deepStrictEqual(updated.sort(), [
            `kubernetes:apps/v1:Deployment api:${ns("dev")}/api`,
            "pulumi-nodejs:dynamic:Resource api-image",
        ]);
        assert.strictEqual(r.summary.resourceChanges?.update, 2, JSON.stringify(r.summary.resourceChanges));
        built.push(await releases("dev"));
        assert.notStrictEqual(built[1].api, built[0].api);
        assert.strictEqual(await registryDigest(`${repo}/api`, "1.1.0"), built[1].api);
        assert.strictEqual(built[1].worker, built[0].worker);
        assert.deepStrictEqual(images("dev"), pinned(built[1]));
    });

    it("promote moves the set to staging as one commit and one PR; staging runs it and moves both tags", async () => {
        const p = await cli(["promote", "--from", "dev", "--to", "staging", "--git", "--json"]);
        assert.strictEqual(p.code, 0, p.stderr);
        const out = JSON.parse(p.stdout) as {
            images: { name: string; digest: string }[];
            pr: { body: string };
        };
        assert.deepStrictEqual(
            out.images.map((i) => [i.name, i.digest]),
            IMAGES.map((n) => [n, built[1][n]]),
        );
        assert.ok(out.pr.body.includes("`dev` ran this combination"), out.pr.body);
        const changed = git(root, ["show", "--name-only", "--format=", "HEAD"]).trim();
        assert.strictEqual(changed, "examples/shop/stacks/Pulumi.staging.yaml");
        await up("staging");
        assert.deepStrictEqual(images("staging"), pinned(built[1]));
        for (const name of IMAGES) {
            assert.strictEqual(await registryDigest(`${repo}/${name}`, "staging"), built[1][name]);
        }
        // The cluster's own view: the chart's Deployment ready on the api's pin, the CronJob on the worker's.
        const checked = await cli(["check", "--stack", "staging", "--json"]);
        assert.strictEqual(checked.code, 0, checked.stdout + checked.stderr);
        const r = JSON.parse(checked.stdout) as {
            ok: boolean;
            checks: { check: string; ok: boolean }[];
            evidence: { predicate: { members: Record<string, { digest: string }>; result: string } };
        };
        assert.deepStrictEqual(
            r.checks.map((c) => [c.check, c.ok]),
            [["rollout", true]],
        );
        // Signed evidence about the combination that ran: what prod's promotion requires (its default).
        assert.deepStrictEqual(
            [r.evidence.predicate.result, ...IMAGES.map((n) => r.evidence.predicate.members[n].digest)],
            ["passed", ...IMAGES.map((n) => built[1][n])],
        );
    });

    it("an image from an unpinned repository in the staging chart fails preview, naming it; nothing changes", async () => {
        const template = path.join(shop, "chart", "templates", "deployment.yaml");
        const original = fs.readFileSync(template, "utf8");
        const sidecar = `${REGISTRY}/e2e-${id}/metrics:2.1`;
        fs.writeFileSync(
            template,
            original.replace(
                "      containers:\n",
                `      containers:\n        - name: metrics\n          image: ${sidecar}\n`,
            ),
        );
        try {
            const message = await expectFailure(stacks.staging.preview({ onOutput: log }));
            // The chart's Deployment by its Pulumi name, then the container, the image and the key that pins it.
            const want = [
                `kubernetes:apps/v1:Deployment "api:${ns("staging")}/api": an image the stack cannot deploy:`,
                `- container "metrics" image "${sidecar}": not pinned by digest, and ${REGISTRY}/e2e-${id}/metrics is not in the stack's images; pin it with image-release:images.<name>.repository: ${REGISTRY}/e2e-${id}/metrics, or allow it (pinWorkloads allow) and write it by digest`,
            ];
            for (const line of want) assert.ok(message.includes(line), message);
        } finally {
            fs.writeFileSync(template, original);
        }
        assert.deepStrictEqual(images("staging"), pinned(built[1]));
    });

    it("a combination that never ran together in staging is refused for prod; the one that ran is promoted", async () => {
        // staging's file on disk pins api from the first build beside today's worker: never committed.
        const committed = fs.readFileSync(stackFile("staging"), "utf8");
        fs.writeFileSync(stackFile("staging"), committed.split(built[1].api).join(built[0].api));
        const refused = await cli(["promote", "--from", "staging", "--to", "prod"]);
        assert.strictEqual(refused.code, 1);
        assert.strictEqual(
            refused.stderr.trim(),
            `image-release: images api ${built[0].api}, worker ${built[1].worker} never ran together in stack "staging" (no committed version of stacks/Pulumi.staging.yaml pins this combination); refusing to promote the set to "prod"`,
        );
        fs.writeFileSync(stackFile("staging"), committed);
        const p = await cli(["promote", "--from", "staging", "--to", "prod", "--git"]);
        assert.strictEqual(p.code, 0, p.stderr);
        await up("prod");
        assert.deepStrictEqual(images("prod"), pinned(built[1]));
    });

    it("rollback restores staging's previous set as one unit, and up runs it", async () => {
        // staging moves to the first api build beside today's worker (a reviewed edit, committed), runs it,
        // then rolls back to the set it ran before: the promoted one.
        fs.writeFileSync(
            stackFile("staging"),
            fs.readFileSync(stackFile("staging"), "utf8").split(built[1].api).join(built[0].api),
        );
        git(root, ["commit", "-qam", "staging: the first api build"]);
        await up("staging");
        assert.deepStrictEqual(images("staging"), pinned({ api: built[0].api, worker: built[1].worker }));
        const r = await cli(["rollback", "--stack", "staging", "--git"]);
        assert.strictEqual(r.code, 0, r.stderr);
        await up("staging");
        assert.deepStrictEqual(images("staging"), pinned(built[1]));
    });

    it("staging's admission policy refuses `kubectl` workloads and image changes that are not digests", async () => {
        const manifest = path.join(root, "unpinned.yaml");
        fs.writeFileSync(
            manifest,
            [
                "apiVersion: apps/v1",
                "kind: Deployment",
                "metadata: {name: by-hand}",
                "spec:",
                "  selector: {matchLabels: {app: by-hand}}",
                "  template:",
                "    metadata: {labels: {app: by-hand}}",
                `    spec: {containers: [{name: web, image: "${repo}/api:1.0.0"}]}`,
                "",
            ].join("\n"),
        );
        const why =
            "not a digest of a repository stack staging pins or allows (stacks/Pulumi.staging.yaml); deploy it through the stack";
        assert.throws(
            () => kubectl(["apply", "-f", manifest, "-n", ns("staging")]),
            (e: Error) =>
                e.message.includes(`image-release: Deployment by-hand runs ${repo}/api:1.0.0, ${why}`),
        );
        assert.throws(
            () => kubectl(["set", "image", "deployment/api", `api=${repo}/api:1.1.0`, "-n", ns("staging")]),
            (e: Error) => e.message.includes(`image-release: Deployment api runs ${repo}/api:1.1.0, ${why}`),
        );
        // dev has no policy: a developer's namespace takes anything.
        kubectl(["apply", "-f", manifest, "-n", ns("dev")]);
        assert.deepStrictEqual(images("staging"), pinned(built[1]));
    });

    it("status --cluster flags a hand-run `kubectl set image` to another digest; `up --refresh` puts the pin back", async () => {
        // A digest of the pinned repository passes the admission policy; it is still not the pin.
        const tag = `${repo}/api@${built[0].api}`;
        kubectl(["set", "image", "deployment/api", `api=${tag}`, "-n", ns("staging")]);
        const failed = await cli(["check", "--stack", "staging"]);
        assert.strictEqual(failed.code, 1, failed.stdout);
        assert.ok(
            failed.stdout.includes(
                `  - Deployment/api container api runs ${tag}, not the pin ${repo}/api@${built[1].api} (after 20s)`,
            ),
            failed.stdout,
        );
        const drifted = await cli(["status", "--cluster", "--json"]);
        assert.strictEqual(drifted.code, 1, drifted.stderr);
        const rows = JSON.parse(drifted.stdout) as {
            stack: string;
            image: string;
            clusterDrift?: unknown[];
        }[];
        assert.deepStrictEqual(
            rows.filter((r) => r.stack === "staging").map((r) => [r.image, r.clusterDrift]),
            [
                [
                    "api",
                    [
                        {
                            image: "api",
                            workload: "Deployment/api",
                            container: "api",
                            running: tag,
                            pinned: `${repo}/api@${built[1].api}`,
                        },
                    ],
                ],
                ["worker", []],
            ],
        );
        await stacks.staging.up({ onOutput: log, refresh: true });
        assert.deepStrictEqual(images("staging"), pinned(built[1]));
        const clean = await cli(["status", "--cluster", "--json"]);
        assert.strictEqual(clean.code, 0, clean.stdout);
    });
});
