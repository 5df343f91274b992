import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { check, HttpAnswer, Refusal } from "../../src/flows";

const API = "127.0.0.1:5000/shop/api";
const D1 = `sha256:${"1".repeat(64)}`;

function repo(checks: string): { repoRoot: string; stacksDir: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-check-"));
    fs.mkdirSync(path.join(dir, "stacks"));
    fs.writeFileSync(
        path.join(dir, "stacks", "Pulumi.staging.yaml"),
        [
            "config:",
            `  image-release:repository: ${API}`,
            `  image-release:digest: ${D1}`,
            "  image-release:version: 1.5.0",
            "  image-release:gitSha: 0123abc",
            "  image-release:namespace: shop-staging",
            checks,
            "",
        ].join("\n"),
    );
    fs.writeFileSync(
        path.join(dir, "stacks", "Pulumi.dev.yaml"),
        `config:\n  image-release:repository: ${API}\n  image-release:build: {context: .}\n`,
    );
    return { repoRoot: dir, stacksDir: path.join(dir, "stacks") };
}

const deployment = (ready: number) => ({
    kind: "Deployment",
    metadata: { name: "api", generation: 1 },
    spec: { replicas: 1, template: { spec: { containers: [{ name: "api", image: `${API}@${D1}` }] } } },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: ready },
});

/** A clock that moves only when the check sleeps. */
function clock() {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

const CHECKS = [
    "  image-release:checks:",
    "    rollout: {timeoutSeconds: 10}",
    "    http:",
    "      - {name: ready, service: api, port: 8080, path: /readyz}",
    '      - {name: version, service: api, port: 8080, path: /, body: \'"version":"1\\.5\\.0"\'}',
].join("\n");

describe("flows/check: a stack's checks after pulumi up, each within its timeout", () => {
    it("waits for the rollout, then each http check passes; kubectl asked on the stack's namespace", async () => {
        let looks = 0;
        const asked: string[] = [];
        const kubectl = async (args: string[]) => {
            asked.push(args.slice(0, 4).join(" "));
            return JSON.stringify({ items: [deployment(looks++ < 2 ? 0 : 1)] });
        };
        const apiGet = async (p: string): Promise<HttpAnswer> =>
            p.endsWith("/readyz")
                ? { status: 200, body: "ok" }
                : { status: 200, body: '{"app":"api","version":"1.5.0"}' };
        const r = await check({ ...repo(CHECKS), stack: "staging" }, { kubectl, apiGet, ...clock() });
        assert.deepStrictEqual(
            r.checks.map((c) => [c.check, c.ok, c.problems, c.seconds]),
            [
                ["rollout", true, [], 4],
                ["http ready", true, [], 0],
                ["http version", true, [], 0],
            ],
        );
        assert.strictEqual(r.ok, true);
        assert.strictEqual(
            asked[0],
            "get deployments,statefulsets,daemonsets,replicasets,replicationcontrollers,jobs,cronjobs,pods --namespace shop-staging",
        );
        assert.deepStrictEqual(r.pins, [{ image: "api", repository: API, digest: D1 }]);
    });

    it("a check still failing at its timeout fails with what it saw last, naming the resource", async () => {
        const kubectl = async () => JSON.stringify({ items: [deployment(1)] });
        const apiGet = async (p: string): Promise<HttpAnswer> =>
            p.endsWith("/readyz")
                ? { status: 503, body: "draining\n" }
                : { status: 200, body: '{"version":"1.4.2"}' };
        const r = await check({ ...repo(CHECKS), stack: "staging" }, { kubectl, apiGet, ...clock() });
        assert.strictEqual(r.ok, false);
        assert.deepStrictEqual(
            r.checks.map((c) => [c.check, c.ok, c.problems]),
            [
                ["rollout", true, []],
                [
                    "http ready",
                    false,
                    ["GET /readyz on Service api:8080 answered 503, expected 200 (draining) (after 10s)"],
                ],
                [
                    "http version",
                    false,
                    [
                        'GET / on Service api:8080 answered 200, but its body does not match /"version":"1\\.5\\.0"/ ({"version":"1.4.2"}) (after 10s)',
                    ],
                ],
            ],
        );
    });

    it("refuses a stack that pins no digest", async () => {
        await assert.rejects(
            check({ ...repo(CHECKS), stack: "dev" }, { kubectl: async () => "{}" }),
            (e: Error) => {
                assert.ok(e instanceof Refusal);
                assert.strictEqual(
                    e.message,
                    'stack "dev" pins no digest for api; check judges a stack that pins every image (staging, prod)',
                );
                return true;
            },
        );
    });

    const JOB = [
        "  image-release:checks:",
        "    rollout: {timeoutSeconds: 10}",
        "    job:",
        "      - {name: smoke, args: [--once, --dataset, smoke], timeoutSeconds: 30}",
    ].join("\n");

    /** A cluster whose Deployment is ready and whose Job reports `statuses` in turn (the last one stays). */
    function jobCluster(statuses: unknown[]) {
        const calls: string[] = [];
        let created: unknown;
        let looks = 0;
        const kubectl = async (args: string[]) => {
            calls.push(args.slice(0, 3).join(" "));
            if (args[0] === "create") created = JSON.parse(fs.readFileSync(args[2], "utf8"));
            if (args[0] === "get" && args[1] === "job")
                return JSON.stringify({ status: statuses[Math.min(looks++, statuses.length - 1)] });
            if (args[0] === "get") return JSON.stringify({ items: [deployment(1)] });
            return "";
        };
        return { kubectl, calls, created: () => created };
    }

    it("job: runs the pinned digest with the check's args in a fresh Job, and passes once it succeeded", async () => {
        const c = jobCluster([{}, { active: 1 }, { succeeded: 1 }]);
        const r = await check({ ...repo(JOB), stack: "staging" }, { kubectl: c.kubectl, ...clock() });
        assert.deepStrictEqual(
            r.checks.map((x) => [x.check, x.ok, x.problems, x.seconds]),
            [
                ["rollout", true, [], 0],
                ["job smoke", true, [], 4],
            ],
        );
        const name = `check-smoke-${D1.slice(7, 19)}`;
        assert.deepStrictEqual(
            c.calls
                .filter((x) => !x.startsWith("get deployments"))
                .map((x) => x.replace(/--filename \S+/, "--filename <file>")),
            [
                `delete job ${name}`,
                "create --filename <file>",
                `get job ${name}`,
                `get job ${name}`,
                `get job ${name}`,
            ],
        );
        assert.deepStrictEqual(c.created(), {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: {
                name,
                namespace: "shop-staging",
                labels: {
                    "app.kubernetes.io/managed-by": "image-release-check",
                    "image-release/check": "smoke",
                },
            },
            spec: {
                backoffLimit: 0,
                activeDeadlineSeconds: 30,
                ttlSecondsAfterFinished: 3600,
                template: {
                    metadata: { labels: { "image-release/check": "smoke" } },
                    spec: {
                        restartPolicy: "Never",
                        containers: [
                            { name: "smoke", image: `${API}@${D1}`, args: ["--once", "--dataset", "smoke"] },
                        ],
                    },
                },
            },
        });
    });

    it("job: a failed Job fails the check at once with its reason; one never done fails at its timeout", async () => {
        const failed = jobCluster([
            {
                failed: 1,
                conditions: [
                    {
                        type: "Failed",
                        status: "True",
                        reason: "BackoffLimitExceeded",
                        message: "Job has reached the specified backoff limit",
                    },
                ],
            },
        ]);
        const r = await check({ ...repo(JOB), stack: "staging" }, { kubectl: failed.kubectl, ...clock() });
        const name = `check-smoke-${D1.slice(7, 19)}`;
        assert.deepStrictEqual(r.checks[1], {
            check: "job smoke",
            ok: false,
            problems: [
                `Job/${name} failed (BackoffLimitExceeded: Job has reached the specified backoff limit)`,
            ],
            seconds: 0,
        });
        const slow = jobCluster([{ active: 1 }]);
        const s = await check({ ...repo(JOB), stack: "staging" }, { kubectl: slow.kubectl, ...clock() });
        assert.deepStrictEqual(s.checks[1].problems, [`Job/${name} has not succeeded yet (after 30s)`]);
    });

    it("job: refuses a check that names no image of the stack", async () => {
        const c = jobCluster([{ succeeded: 1 }]);
        const r = repo(JOB.replace("name: smoke,", "name: smoke, image: web,"));
        await assert.rejects(check({ ...r, stack: "staging" }, { kubectl: c.kubectl, ...clock() }), {
            message: `${path.join(r.stacksDir, "Pulumi.staging.yaml")}: image-release:checks.job "smoke": the stack has no image "web" (images: api)`,
        });
    });

    it("rollout: check's own smoke-test Job and Pod of an earlier pin are neither drift nor a workload", async () => {
        const earlier = `${API}@sha256:${"9".repeat(64)}`;
        const labels = { "image-release/check": "smoke" };
        const leftovers = [
            {
                kind: "Job",
                metadata: { name: "check-smoke-999999999999", labels },
                spec: { template: { spec: { containers: [{ name: "smoke", image: earlier }] } } },
                status: { succeeded: 1 },
            },
            {
                kind: "Pod",
                metadata: { name: "check-smoke-999999999999-x", labels },
                spec: { containers: [{ name: "smoke", image: earlier }] },
                status: { phase: "Succeeded" },
            },
        ];
        const kubectl = async () => JSON.stringify({ items: [deployment(1), ...leftovers] });
        const r = await check({ ...repo(""), stack: "staging" }, { kubectl, ...clock() });
        assert.deepStrictEqual(
            r.checks.map((c) => [c.check, c.ok, c.problems]),
            [["rollout", true, []]],
        );
    });
});
