import * as assert from "assert";
import { kubectlCli, stackApiGet } from "../../src/flows";
import { StackImageConfig } from "../../src/stackconfig";
import { requiredEnv, timings } from "./harness";

/**
 * `check`'s HTTP checks reach a Service through the API server, authenticated as the stack's kubeconfig
 * says (client certificate files here): the same path, against the local API server.
 */
describe("e2e: check's API client, against the local API server", function () {
    this.timeout(60_000);
    const stack = {
        stack: "staging",
        namespace: "default",
        kubeconfig: requiredEnv("KUBECONFIG"),
    } as StackImageConfig;

    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: `apiGet: ${t.title}`, seconds: (t.duration ?? 0) / 1000 });
    });

    it("GETs with the kubeconfig's CA and client certificate: 200 with the body, 404 as 404", async () => {
        const get = await stackApiGet(stack, kubectlCli);
        const ok = await get("/api/v1/namespaces/kube-system", 5000);
        assert.strictEqual(ok.status, 200);
        assert.strictEqual(
            (JSON.parse(ok.body) as { metadata: { name: string } }).metadata.name,
            "kube-system",
        );
        const missing = await get("/api/v1/namespaces/no-such-namespace-here", 5000);
        assert.strictEqual(missing.status, 404);
    });
});
