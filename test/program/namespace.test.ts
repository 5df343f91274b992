import * as assert from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { ofType, recorded, registrations, resetRecorded, setMocks, settle } from "../helpers/mocks";

/** The stack file's config as the engine hands it over (every value a string), with test overrides. */
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

/** The options the SDK sent the monitor for one registration, which the shared mocks do not keep. */
interface SentOptions {
    retainOnDelete: boolean;
    provider: string;
}

interface OptionsRequest {
    getName(): string;
    getRetainondelete(): boolean;
    getProvider(): string;
}

type Monitor = { registerResource(req: OptionsRequest, callback: unknown): void };

const DEPLOYMENT = "image-release:deploy:PinnedDeployment";
const JOB = "image-release:train:PinnedJob";
const OFFLINE = {
    "image-release:verifyDigest": false,
    "image-release:requireSignature": "false",
    "image-release:requireVerification": "false",
};
const DEV = {
    ...OFFLINE,
    "image-release:version": "1.4.2",
    "image-release:gitSha": "0123abcdef",
};

describe("program: the stack owns its namespace", () => {
    let run: () => Promise<Record<string, unknown>>;
    const sent = new Map<string, SentOptions>();

    before(async () => {
        await setMocks("dev");
        run = (await import("../../src/program")).default;
    });
    beforeEach(() => {
        resetRecorded();
        sent.clear();
    });

    async function runStack(stack: string, config: Record<string, string>): Promise<void> {
        await setMocks(stack);
        const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, callback) => {
            sent.set(req.getName(), { retainOnDelete: req.getRetainondelete(), provider: req.getProvider() });
            register(req, callback);
        };
        pulumi.runtime.setAllConfig(config);
        await run();
        await settle();
    }

    const workload = (type: string) => {
        const found = registrations.filter((r) => r.type === type);
        assert.strictEqual(found.length, 1, `one ${type}`);
        return found[0];
    };
    const namespaceUrn = (stack: string) =>
        `urn:pulumi:${stack}::image-release::kubernetes:core/v1:Namespace::namespace`;
    /** staging and prod: the namespace's admission policy and binding, which workloads also wait for. */
    const guard = (stack: string) =>
        ["dev"].includes(stack)
            ? []
            : [
                  `urn:pulumi:${stack}::image-release::kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy::admission-policy`,
                  `urn:pulumi:${stack}::image-release::kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding::admission-policy-binding`,
              ];

    for (const c of [
        {
            stack: "staging",
            ns: "staging",
            config: { ...OFFLINE, "image-release:training": { datasetVersion: "v3" } },
        },
        { stack: "dev", ns: "team-a", config: { ...DEV, "image-release:namespace": "team-a" } },
    ]) {
        const ns = c.ns;
        it(`${c.stack}: creates Namespace "${ns}", retained on delete, before every workload`, async () => {
            await runStack(c.stack, stackConfig(c.stack, c.config));
            const namespaces = ofType("kubernetes:core/v1:Namespace");
            assert.deepStrictEqual(
                namespaces.map((n) => [n.name, n.inputs]),
                [["namespace", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }]],
            );
            assert.deepStrictEqual(sent.get("namespace"), { retainOnDelete: true, provider: "" });
            const workloads = [DEPLOYMENT, ...(c.stack === "staging" ? [JOB] : [])];
            for (const type of workloads) {
                assert.deepStrictEqual(
                    workload(type).dependencies,
                    [namespaceUrn(c.stack), ...guard(c.stack)],
                    type,
                );
            }
            // The engine answered the Namespace before any Kubernetes object was registered.
            const order = registrations.map((r) => r.type);
            const first = order.findIndex(
                (t) => t.startsWith("kubernetes:") && t !== "kubernetes:core/v1:Namespace",
            );
            assert.ok(first > order.indexOf("kubernetes:core/v1:Namespace"), order.join("\n"));
            for (const d of ofType("kubernetes:apps/v1:Deployment"))
                assert.strictEqual(d.inputs.metadata.namespace, ns);
        });
    }

    it("creates the Namespace with the stack's explicit Kubernetes provider", async () => {
        await runStack(
            "prod",
            stackConfig("prod", { ...OFFLINE, "image-release:kubeContext": "kind-local" }),
        );
        assert.match(
            sent.get("namespace")?.provider ?? "",
            /^urn:pulumi:prod::image-release::pulumi:providers:kubernetes::prod-kubernetes::/,
        );
    });

    for (const c of [
        { name: "createNamespace: false", overrides: { "image-release:createNamespace": "false" } },
        { name: "namespace default", overrides: { "image-release:namespace": "default" } },
        { name: "namespace kube-system", overrides: { "image-release:namespace": "kube-system" } },
    ]) {
        it(`${c.name}: registers no Namespace, and the workloads depend on nothing for it`, async () => {
            await runStack("staging", stackConfig("staging", { ...OFFLINE, ...c.overrides }));
            assert.deepStrictEqual(ofType("kubernetes:core/v1:Namespace"), []);
            assert.deepStrictEqual(workload(DEPLOYMENT).dependencies, guard("staging"));
            assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 1);
        });
    }

    it("refuses a createNamespace that is not a boolean, before any resource", async () => {
        await setMocks("staging");
        pulumi.runtime.setAllConfig(stackConfig("staging", { "image-release:createNamespace": "no" }));
        await assert.rejects(
            () => run(),
            (e: unknown) =>
                e instanceof pulumi.RunError &&
                e.message ===
                    'stacks/Pulumi.staging.yaml: image-release:createNamespace: expected true or false (got "no")',
        );
        await settle();
        assert.deepStrictEqual(recorded, []);
    });
});
