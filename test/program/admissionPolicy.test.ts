import * as assert from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { ofType, resetRecorded, setMocks, settle } from "../helpers/mocks";

function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
    const doc = YAML.parse(fs.readFileSync(`stacks/Pulumi.${stack}.yaml`, "utf8")) as {
        config: Record<string, unknown>;
    };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...doc.config, ...overrides })) {
        out[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}

const OFFLINE = {
    "image-release:verifyDigest": false,
    "image-release:requireSignature": "false",
    "image-release:requireVerification": "false",
};
const POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";

describe("program: staging and prod guard their namespace with an admission policy", () => {
    let run: () => Promise<Record<string, unknown>>;
    before(async () => {
        await setMocks("dev");
        run = (await import("../../src/program")).default;
    });
    beforeEach(resetRecorded);

    async function runStack(stack: string, config: Record<string, string>): Promise<void> {
        await setMocks(stack);
        pulumi.runtime.setAllConfig(config);
        await run();
        await settle();
    }

    for (const stack of ["staging", "prod"]) {
        it(`${stack}: one policy admitting the stack's repository by digest, bound to its namespace`, async () => {
            const cfg = stackConfig(stack, OFFLINE);
            await runStack(stack, cfg);
            const [policy] = ofType(POLICY);
            const [binding] = ofType(BINDING);
            assert.strictEqual(policy.inputs.metadata.name, `image-release-${stack}`);
            const byDigest = `'${cfg["image-release:repository"]}@sha256:'`;
            const expression = (policy.inputs.spec.validations as { expression: string }[])[0].expression;
            assert.ok(expression.includes(byDigest), byDigest);
            assert.deepStrictEqual(binding.inputs.spec.matchResources, {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": stack } },
            });
        });
    }

    for (const c of [
        {
            name: "dev",
            stack: "dev",
            overrides: { ...OFFLINE, "image-release:version": "1.4.2", "image-release:gitSha": "0123abc" },
        },
        {
            name: "staging with admissionPolicy: false",
            stack: "staging",
            overrides: { ...OFFLINE, "image-release:admissionPolicy": "false" },
        },
    ]) {
        it(`${c.name}: no policy`, async () => {
            await runStack(c.stack, stackConfig(c.stack, c.overrides));
            assert.deepStrictEqual([ofType(POLICY).length, ofType(BINDING).length], [0, 0]);
            assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 1);
        });
    }
});
