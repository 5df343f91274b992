import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    forgetAbandonedRegistrations,
    ofType,
    promiseOf,
    rejectionOf,
    resetRecorded,
    setMocks,
    settle,
} from "../helpers/mocks";
import type {
    PinnedDeployment as PinnedDeploymentT,
    PinnedDeploymentArgs,
} from "../../src/components/pinnedDeployment";

const REPO = "127.0.0.1:5000/image-release/hello";
const D = "sha256:" + "0123456789abcdef".repeat(4);

describe("components/PinnedDeployment", () => {
    let PinnedDeployment: typeof PinnedDeploymentT;
    before(async () => {
        await setMocks("staging");
        ({ PinnedDeployment } = await import("../../src/components/pinnedDeployment"));
    });
    beforeEach(resetRecorded);

    const base: PinnedDeploymentArgs = {
        repository: REPO,
        digest: D,
        version: "1.4.2",
        gitSha: "0123abc",
        promotedFrom: "dev",
        verifyDigest: false,
    };

    it("creates a Deployment with the exact pinned image and annotations", async () => {
        const c = new PinnedDeployment("hello", { ...base, namespace: "staging" });
        assert.strictEqual(await promiseOf(c.image), `${REPO}@${D}`);
        await settle();
        const [dep] = ofType("kubernetes:apps/v1:Deployment");
        assert.strictEqual(dep.name, "hello-deployment");
        assert.deepStrictEqual(dep.inputs.metadata, {
            name: "hello",
            namespace: "staging",
            labels: { app: "hello" },
            annotations: {
                "kubernetes.io/change-cause": "image-release 1.4.2 sha256:0123456789ab (promoted from dev)",
                "image-release/version": "1.4.2",
                "image-release/digest": D,
                "image-release/git-sha": "0123abc",
            },
        });
        assert.deepStrictEqual(dep.inputs.spec, {
            replicas: 1,
            revisionHistoryLimit: 10,
            selector: { matchLabels: { app: "hello" } },
            template: {
                metadata: {
                    labels: { app: "hello" },
                    annotations: {
                        "image-release/version": "1.4.2",
                        "image-release/digest": D,
                        "image-release/git-sha": "0123abc",
                    },
                },
                spec: {
                    containers: [
                        {
                            name: "hello",
                            image: `${REPO}@${D}`,
                            imagePullPolicy: "IfNotPresent",
                            ports: [{ containerPort: 8080 }],
                        },
                    ],
                },
            },
        });
        assert.strictEqual(ofType("kubernetes:core/v1:Service").length, 0);
    });

    it("adds a Service only when asked", async () => {
        new PinnedDeployment("web", { ...base, service: true, containerPort: 9000 });
        await settle();
        const [svc] = ofType("kubernetes:core/v1:Service");
        assert.strictEqual(svc.name, "web-service");
        assert.deepStrictEqual(svc.inputs.spec, {
            type: "ClusterIP",
            selector: { app: "web" },
            ports: [{ port: 9000, targetPort: 9000 }],
        });
    });

    const bad: { name: string; args: Partial<PinnedDeploymentArgs>; message: string }[] = [
        {
            name: "tag instead of digest",
            args: { digest: "1.4.2" },
            message:
                'invalid arguments for PinnedDeployment "x":\n  digest: must be a sha256 digest, not a tag (got "1.4.2")',
        },
        {
            name: "short digest",
            args: { digest: "sha256:abcdef123456" },
            message:
                'invalid arguments for PinnedDeployment "x":\n  digest: is a short digest (12 of 64 hex characters) (got "sha256:abcdef123456")',
        },
        {
            name: "tagged repository, missing version and negative history, all at once",
            args: { repository: `${REPO}:latest`, version: "", revisionHistoryLimit: -1 },
            message:
                'invalid arguments for PinnedDeployment "x":\n' +
                `  repository: must not contain a tag (got "${REPO}:latest")\n` +
                "  version: is required\n" +
                '  revisionHistoryLimit: must be a non-negative integer (got "-1")',
        },
    ];
    for (const c of bad) {
        it(`refuses ${c.name} before creating anything`, async () => {
            assert.throws(
                () => new PinnedDeployment("x", { ...base, ...c.args }),
                (e: unknown) => pulumi.InputPropertiesError.isInstance(e) && e.message === c.message,
            );
            await settle();
            assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
        });
    }

    it("verifies ref and platforms, and registers no Deployment when verification fails", async () => {
        const calls: [string, string[]][] = [];
        const client = {
            verify: async (ref: string, platforms: string[]) => {
                calls.push([ref, platforms]);
                throw new Error(`digest ${D} not found in repo ${REPO}`);
            },
        };
        const c = new PinnedDeployment("v", { ...base, verifyDigest: true, registryClient: client });
        const rejected = await rejectionOf(c.image);
        assert.ok(
            rejected.via.length > 0 && rejected.via.every((p) => ["outputs", "spec"].includes(p)),
            rejected.via.join(),
        );
        assert.strictEqual(
            rejected.message,
            `PinnedDeployment "v": digest verification failed: digest ${D} not found in repo ${REPO}`,
        );
        await settle();
        forgetAbandonedRegistrations();
        assert.deepStrictEqual(calls, [[`${REPO}@${D}`, ["linux/amd64", "linux/arm64"]]]);
        assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
    });
});
