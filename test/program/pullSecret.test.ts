import * as assert from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { ofType, recorded, registrationOf, resetRecorded, setMocks, settle } from "../helpers/mocks";

const KEY = "image-release:pullCredentials";
const PASSWORD = "pull-only-s3cret";
const HOST = "127.0.0.1:5001";
const PULL = { [HOST]: { username: "puller", password: PASSWORD } };
const OFFLINE = {
    "image-release:verifyDigest": false,
    "image-release:requireSignature": "false",
    "image-release:requireVerification": "false",
};
const ON_5001 = { "image-release:repository": `${HOST}/image-release/hello` };
const REFERENCE = [{ name: "image-release-pull" }];

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

/** The pod spec of the one workload of `type` (a Deployment or a Job). */
const podSpecOf = (type: string): Record<string, unknown> => {
    const [w] = ofType(type);
    return w.inputs.spec.template.spec as Record<string, unknown>;
};

describe("program: image-release:pullCredentials makes the namespace's pull Secret, which the workloads reference", () => {
    let run: () => Promise<Record<string, unknown>>;
    before(async () => {
        await setMocks("staging");
        run = (await import("../../src/program")).default;
    });
    beforeEach(resetRecorded);

    async function runStack(stack: string, overrides: Record<string, unknown>, secret = true): Promise<void> {
        await setMocks(stack);
        // The engine says which keys were secrets: `pulumi config set --secret --path` marks the whole map.
        pulumi.runtime.setAllConfig(stackConfig(stack, overrides), secret ? [KEY] : []);
        await run();
        await settle();
    }

    it("staging on 5001: the Secret in the stack's namespace after the Namespace; the Deployment and the Job reference it", async () => {
        await runStack("staging", {
            ...OFFLINE,
            ...ON_5001,
            [KEY]: PULL,
            "image-release:training": { datasetVersion: "v3" },
        });
        const [secret] = ofType("kubernetes:core/v1:Secret");
        assert.deepStrictEqual(secret.inputs.metadata, { name: "image-release-pull", namespace: "staging" });
        assert.strictEqual(secret.inputs.type, "kubernetes.io/dockerconfigjson");
        const namespace = "urn:pulumi:staging::image-release::kubernetes:core/v1:Namespace::namespace";
        assert.deepStrictEqual(registrationOf("pull").dependencies, [namespace]);
        // Depending on the component is depending on its Secret: the pods never start before it exists.
        const pull = registrationOf("pull-secret").urn;
        // staging's admission policy and its binding come first too (test/program/admissionPolicy.test.ts).
        const guard = [
            "urn:pulumi:staging::image-release::kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy::admission-policy",
            "urn:pulumi:staging::image-release::kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding::admission-policy-binding",
        ];
        for (const name of ["hello", "hello-train"])
            assert.deepStrictEqual(registrationOf(name).dependencies, [namespace, ...guard, pull], name);
        assert.deepStrictEqual(podSpecOf("kubernetes:apps/v1:Deployment").imagePullSecrets, REFERENCE);
        assert.deepStrictEqual(podSpecOf("kubernetes:batch/v1:Job").imagePullSecrets, REFERENCE);
    });

    it("dev on 5001: the Deployment of the digest just built references it (no pin needed)", async () => {
        await runStack("dev", {
            ...OFFLINE,
            ...ON_5001,
            [KEY]: PULL,
            "image-release:namespace": "team-a",
            "image-release:version": "1.4.2",
            "image-release:gitSha": "0123abcdef",
        });
        assert.deepStrictEqual(
            ofType("kubernetes:core/v1:Secret").map((s) => s.inputs.metadata as unknown),
            [{ name: "image-release-pull", namespace: "team-a" }],
        );
        assert.deepStrictEqual(podSpecOf("kubernetes:apps/v1:Deployment").imagePullSecrets, REFERENCE);
    });

    it("a stack that pulls from another registry gets the Secret, and its workloads no reference", async () => {
        await runStack("staging", {
            ...OFFLINE,
            [KEY]: { "ghcr.io": { username: "bot", password: PASSWORD } },
        });
        assert.strictEqual(ofType("kubernetes:core/v1:Secret").length, 1);
        assert.strictEqual(podSpecOf("kubernetes:apps/v1:Deployment").imagePullSecrets, undefined);
    });

    it("without the key: no Secret, and the workloads are as before", async () => {
        await runStack("staging", { ...OFFLINE, ...ON_5001 });
        assert.deepStrictEqual(ofType("kubernetes:core/v1:Secret"), []);
        assert.strictEqual(podSpecOf("kubernetes:apps/v1:Deployment").imagePullSecrets, undefined);
    });

    for (const c of [
        {
            what: "a password set without --secret",
            value: PULL,
            secret: false,
            problem: `${KEY}["${HOST}"].password: written in plain text; a pull password must be a secret config value (pulumi config set --secret --path '${KEY}["${HOST}"].password')`,
        },
        {
            what: "a registry with no username",
            value: { [HOST]: { password: PASSWORD } },
            secret: true,
            problem: `${KEY}["${HOST}"].username: required: the user name the cluster pulls from ${HOST} with`,
        },
    ]) {
        it(`refuses ${c.what} before any resource, in one line without the password`, async () => {
            await setMocks("staging");
            pulumi.runtime.setAllConfig(
                stackConfig("staging", { ...OFFLINE, [KEY]: c.value }),
                c.secret ? [KEY] : [],
            );
            await assert.rejects(
                () => run(),
                (e: unknown) => {
                    assert.ok(e instanceof pulumi.RunError);
                    const got = c.secret ? "" : "<redacted>";
                    assert.strictEqual(e.message, `stacks/Pulumi.staging.yaml: ${c.problem} (got "${got}")`);
                    assert.ok(!e.message.includes(PASSWORD));
                    return true;
                },
            );
            await settle();
            assert.deepStrictEqual(recorded, []);
        });
    }
});
