import * as assert from "assert";
import { admissionPolicySpecs } from "../../src/components";

const API = "127.0.0.1:5000/shop/api";

describe("components/admissionPolicy: the namespace refuses workloads off the stack's pins", () => {
    const { policy, binding } = admissionPolicySpecs({
        stack: "staging",
        file: "stacks/Pulumi.staging.yaml",
        namespace: "shop-staging",
        pins: [{ repository: API }, { repository: "nginx" }],
        allow: ["busybox"],
    });
    const admitted = `['${API}@sha256:', 'busybox@sha256:', 'docker.io/library/busybox@sha256:', 'docker.io/library/nginx@sha256:', 'nginx@sha256:'].exists(p, i.startsWith(p))`;

    it("judges every workload kind a user creates, and leaves owned objects to their owner", () => {
        assert.strictEqual(policy.metadata.name, "image-release-shop-staging");
        assert.deepStrictEqual(policy.spec.matchConstraints.resourceRules, [
            {
                apiGroups: ["apps"],
                apiVersions: ["*"],
                operations: ["CREATE", "UPDATE"],
                resources: ["deployments", "statefulsets", "daemonsets", "replicasets"],
            },
            {
                apiGroups: ["batch"],
                apiVersions: ["*"],
                operations: ["CREATE", "UPDATE"],
                resources: ["jobs", "cronjobs"],
            },
            {
                apiGroups: [""],
                apiVersions: ["*"],
                operations: ["CREATE", "UPDATE"],
                resources: ["replicationcontrollers", "pods"],
            },
            {
                apiGroups: ["extensions"],
                apiVersions: ["*"],
                operations: ["CREATE", "UPDATE"],
                resources: ["deployments", "daemonsets", "replicasets"],
            },
        ]);
        assert.deepStrictEqual(policy.spec.matchConditions, [
            {
                name: "not-owned",
                expression:
                    "!has(object.metadata.ownerReferences) || size(object.metadata.ownerReferences) == 0",
            },
            // The garbage collector's update that drops a deleted object's finalizer is never refused.
            {
                name: "not-deleting",
                expression:
                    "!has(object.metadata.deletionTimestamp) || request.operation != 'UPDATE' || object.spec != oldObject.spec",
            },
        ]);
        assert.strictEqual(policy.spec.failurePolicy, "Fail");
    });

    it("finds the pod spec of each kind, and every container, init and ephemeral container image", () => {
        assert.deepStrictEqual(policy.spec.variables, [
            {
                name: "spec",
                expression:
                    "(object.kind == 'CronJob') ? object.spec.jobTemplate.spec.template.spec : (object.kind == 'Pod') ? object.spec : object.spec.template.spec",
            },
            {
                name: "images",
                expression:
                    "(has(variables.spec.initContainers) ? variables.spec.initContainers.map(c, c.image) : []) + (has(variables.spec.containers) ? variables.spec.containers.map(c, c.image) : []) + (has(variables.spec.ephemeralContainers) ? variables.spec.ephemeralContainers.map(c, c.image) : [])",
            },
        ]);
    });

    it("admits the stack's and allowed repositories (as written and as the registry names them) by digest only", () => {
        const [v] = policy.spec.validations;
        assert.strictEqual(v.expression, `variables.images.all(i, ${admitted})`);
        const why =
            "not a digest of a repository stack staging pins or allows (stacks/Pulumi.staging.yaml); deploy it through the stack";
        assert.strictEqual(v.message, `image-release: a workload image is ${why}`);
        assert.strictEqual(
            v.messageExpression,
            `'image-release: ' + object.kind + ' ' + (has(object.metadata.name) ? object.metadata.name : '') + ' runs ' + variables.images.filter(i, !(${admitted})).join(', ') + ', ${why}'`,
        );
    });

    it("binds it to the stack's namespace only, denying", () => {
        assert.deepStrictEqual(binding, {
            metadata: { name: "image-release-shop-staging" },
            spec: {
                policyName: "image-release-shop-staging",
                validationActions: ["Deny"],
                matchResources: {
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop-staging" } },
                },
            },
        });
    });

    it("refuses a rejected digest by digest alone, even in a pinned repository, saying who rejected it and why", () => {
        const D = "sha256:" + "ab".repeat(32);
        const E = "sha256:" + "cd".repeat(32);
        const withRejections = admissionPolicySpecs({
            stack: "staging",
            file: "stacks/Pulumi.staging.yaml",
            namespace: "shop-staging",
            pins: [{ repository: API }],
            rejected: [
                {
                    digest: D,
                    summary: `digest ${D} was rejected at T by verifier key K (check): it's broken`,
                },
                { digest: E, summary: `digest ${E} was rejected at T by verifier key K (user): leaks` },
            ],
        }).policy;
        assert.deepStrictEqual(withRejections.spec.variables.slice(2), [
            {
                name: "rejected",
                expression: `[{'d': '${D}', 'why': 'digest ${D} was rejected at T by verifier key K (check): it\\'s broken'}, {'d': '${E}', 'why': 'digest ${E} was rejected at T by verifier key K (user): leaks'}]`,
            },
            {
                name: "oldSpec",
                expression:
                    "(oldObject.kind == 'CronJob') ? oldObject.spec.jobTemplate.spec.template.spec : (oldObject.kind == 'Pod') ? oldObject.spec : oldObject.spec.template.spec",
            },
            {
                name: "oldImages",
                expression:
                    "request.operation == 'UPDATE' ? (has(variables.oldSpec.initContainers) ? variables.oldSpec.initContainers.map(c, c.image) : []) + (has(variables.oldSpec.containers) ? variables.oldSpec.containers.map(c, c.image) : []) + (has(variables.oldSpec.ephemeralContainers) ? variables.oldSpec.ephemeralContainers.map(c, c.image) : []) : []",
            },
            {
                // Only what the request brings in: an object that already runs it may still be scaled or deleted.
                name: "runsRejected",
                expression:
                    "variables.rejected.filter(r, variables.images.exists(i, i.endsWith('@' + r.d)) && !variables.oldImages.exists(i, i.endsWith('@' + r.d)))",
            },
        ]);
        assert.deepStrictEqual(withRejections.spec.validations[1], {
            expression: "size(variables.runsRejected) == 0",
            message:
                "image-release: a workload image is a digest a verifier key that stack staging trusts rejected",
            messageExpression:
                "'image-release: ' + object.kind + ' ' + (has(object.metadata.name) ? object.metadata.name : '') + ' runs a rejected digest: ' + variables.runsRejected.map(r, r.why).join('; ')",
            reason: "Forbidden",
        });
        // Without rejections the policy has no such check (and the stack's earlier policy is unchanged).
        assert.deepStrictEqual([policy.spec.variables.length, policy.spec.validations.length], [2, 1]);
    });
});
