import * as assert from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { ofType, resetRecorded, setMocks, settle } from "../helpers/mocks";

/** The shipped stack file's config as the engine hands it over (every value a string), with overrides. */
function stackConfig(stack: string, overrides: Record<string, unknown>): Record<string, string> {
    const doc = YAML.parse(fs.readFileSync(`stacks/Pulumi.${stack}.yaml`, "utf8")) as {
        config: Record<string, unknown>;
    };
    return Object.fromEntries(
        Object.entries({ ...doc.config, ...overrides }).map(([k, v]) => [
            k,
            typeof v === "string" ? v : JSON.stringify(v),
        ]),
    );
}

const OFFLINE = { "image-release:verifyDigest": false, "image-release:training": { datasetVersion: "v3" } };
const TIMEOUT = "pulumi.com/timeoutSeconds";

// image-release:service and image-release:rolloutTimeoutSeconds (issue 18): the app serves traffic
// through a Service with readiness gating, and `up` gives up on a rollout after the stack's timeout.
describe("program: image-release:service and image-release:rolloutTimeoutSeconds", () => {
    let run: () => Promise<Record<string, unknown>>;
    before(async () => {
        await setMocks("staging");
        run = (await import("../../src/program")).default;
    });
    beforeEach(resetRecorded);

    async function staging(overrides: Record<string, unknown>) {
        await setMocks("staging");
        pulumi.runtime.setAllConfig(stackConfig("staging", { ...OFFLINE, ...overrides }));
        await run();
        await settle();
        const [deployment] = ofType("kubernetes:apps/v1:Deployment");
        const [job] = ofType("kubernetes:batch/v1:Job");
        return {
            deployment: deployment.inputs,
            job: job.inputs,
            services: ofType("kubernetes:core/v1:Service"),
        };
    }

    it("without them the Deployment is what earlier versions made: no Service, no probe, the default strategy, no timeout", async () => {
        const { deployment, job, services } = await staging({});
        assert.deepStrictEqual(services, []);
        assert.strictEqual(deployment.spec.strategy, undefined);
        assert.strictEqual(deployment.spec.template.spec.containers[0].readinessProbe, undefined);
        assert.strictEqual(TIMEOUT in deployment.metadata.annotations, false);
        assert.strictEqual(TIMEOUT in (job.metadata.annotations ?? {}), false);
    });

    it("service: a ClusterIP Service on 8080 with client-IP affinity, a readiness probe on /readyz, a rollout that keeps every replica ready", async () => {
        const { deployment, services } = await staging({ "image-release:service": "true" });
        assert.deepStrictEqual(
            services.map((s): unknown[] => [s.name, s.inputs.spec]),
            [
                [
                    "hello-service",
                    {
                        type: "ClusterIP",
                        selector: { app: "hello" },
                        ports: [{ port: 8080, targetPort: 8080 }],
                        sessionAffinity: "ClientIP",
                    },
                ],
            ],
        );
        assert.deepStrictEqual(deployment.spec.strategy, {
            type: "RollingUpdate",
            rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
        });
        assert.deepStrictEqual(deployment.spec.template.spec.containers[0].readinessProbe, {
            httpGet: { path: "/readyz", port: 8080 },
            periodSeconds: 1,
            failureThreshold: 1,
        });
    });

    it("rolloutTimeoutSeconds: the Deployment and the training Job carry pulumi.com/timeoutSeconds", async () => {
        const { deployment, job } = await staging({ "image-release:rolloutTimeoutSeconds": "45" });
        assert.strictEqual(deployment.metadata.annotations[TIMEOUT], "45");
        assert.strictEqual(job.metadata.annotations[TIMEOUT], "45");
    });
});
