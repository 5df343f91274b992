import * as assert from "assert";
import * as fs from "fs";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { ofType, resetRecorded, setMocks, settle } from "../helpers/mocks";

const BUSYBOX = `docker.io/library/busybox@sha256:${"b".repeat(64)}`;

/** The shipped stack file's config as the engine hands it over, with test overrides. */
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

// image-release:allowImages reaches the stack's workload transform: in staging a third-party image by
// digest runs when allowed (without it, the transform refuses it: test/release/pinImages.test.ts).
describe("program: image-release:allowImages lets a third-party image through the workload transform", () => {
    let run: () => Promise<Record<string, unknown>>;
    before(async () => {
        await setMocks("staging");
        run = (await import("../../src/program")).default;
    });
    beforeEach(resetRecorded);

    it("a busybox sidecar by digest is registered unchanged in staging", async () => {
        await setMocks("staging");
        pulumi.runtime.setAllConfig(
            stackConfig("staging", {
                "image-release:verifyDigest": false,
                "image-release:allowImages": ["docker.io/library/busybox"],
            }),
        );
        await run();
        new k8s.apps.v1.Deployment("sidecar", {
            metadata: { name: "sidecar" },
            spec: {
                selector: { matchLabels: { app: "s" } },
                template: {
                    metadata: { labels: { app: "s" } },
                    spec: { containers: [{ name: "busybox", image: BUSYBOX }] },
                },
            },
        });
        await settle();
        const d = ofType("kubernetes:apps/v1:Deployment").find((r) => r.inputs.metadata?.name === "sidecar");
        assert.ok(d, "the sidecar Deployment was registered");
        assert.strictEqual(d.inputs.spec.template.spec.containers[0].image, BUSYBOX);
    });
});
