import * as assert from "assert";
import { withRolloutTimeout } from "../../src/components";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

/** image-release:rolloutTimeoutSeconds: each workload gets the provider's timeout annotation, nothing else does. */
describe("withRolloutTimeout: the pulumi.com/timeoutSeconds annotation on every workload", () => {
    const table: { name: string; type: string; props: Record<string, unknown>; want: unknown }[] = [
        {
            name: "a Deployment keeps its annotations and gets the timeout",
            type: DEPLOYMENT,
            props: {
                metadata: { name: "hello", annotations: { "image-release/version": "1.4.2" } },
                spec: {},
            },
            want: {
                metadata: {
                    name: "hello",
                    annotations: { "image-release/version": "1.4.2", "pulumi.com/timeoutSeconds": "45" },
                },
                spec: {},
            },
        },
        {
            name: "a Job without metadata gets metadata with the timeout",
            type: "kubernetes:batch/v1:Job",
            props: { spec: {} },
            want: { metadata: { annotations: { "pulumi.com/timeoutSeconds": "45" } }, spec: {} },
        },
        {
            name: "a timeout the workload sets itself wins",
            type: "kubernetes:apps/v1:StatefulSet",
            props: { metadata: { annotations: { "pulumi.com/timeoutSeconds": "600" } } },
            want: { metadata: { annotations: { "pulumi.com/timeoutSeconds": "600" } } },
        },
        {
            name: "a Service is left alone",
            type: "kubernetes:core/v1:Service",
            props: { spec: {} },
            want: undefined,
        },
        {
            name: "a Patch is left alone",
            type: "kubernetes:apps/v1:DeploymentPatch",
            props: {},
            want: undefined,
        },
        {
            name: "a component is left alone",
            type: "image-release:deploy:PinnedDeployment",
            props: {},
            want: undefined,
        },
    ];
    for (const row of table) {
        it(row.name, () => assert.deepStrictEqual(withRolloutTimeout(row.type, row.props, 45), row.want));
    }
});
