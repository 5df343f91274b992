import * as assert from "assert";
import { status } from "../../src/flows";
import { cliRepo, testClient } from "../fixtures/cli/scenarios";
import { commitAll } from "../fixtures/cli/repo";
import { emptyRepo, Member, setStackText, writeStack } from "../fixtures/sets/setRepo";

const client = testClient();
const A: Member = { digest: `sha256:${"a".repeat(64)}`, version: "1.2.0", gitSha: "aaaaaaa" };
const W: Member = { digest: `sha256:${"b".repeat(64)}`, version: "1.2.0", gitSha: "bbbbbbb" };

describe("status --cluster: what runs in each stack's namespace, against its pins @integration", () => {
    const repo = cliRepo();
    const dir = emptyRepo();
    writeStack(dir, "staging", setStackText("staging", repo, A, W));
    commitAll(dir, "staging", 1);
    const o = { repoRoot: dir, stacksDir: `${dir}/stacks`, cluster: true };
    const item = (name: string, image: string) => ({
        kind: "Deployment",
        metadata: { name },
        spec: { template: { spec: { containers: [{ name, image }] } } },
    });

    it("reads the stack's namespace with kubectl, and names each container off its pin", async () => {
        const asked: string[][] = [];
        const kubectl = async (args: string[]) => {
            asked.push(args);
            return JSON.stringify({
                items: [item("api", `${repo}/api@${A.digest}`), item("worker", `${repo}/worker:1.1.0`)],
            });
        };
        const rows = await status(o, { client, kubectl });
        assert.deepStrictEqual(asked, [
            [
                "get",
                "deployments,statefulsets,daemonsets,replicasets,replicationcontrollers,jobs,cronjobs,pods",
                "--namespace",
                "staging",
                "--output",
                "json",
            ],
        ]);
        assert.deepStrictEqual(
            rows.map((r) => [r.image, r.clusterDrift]),
            [
                ["api", []],
                [
                    "worker",
                    [
                        {
                            image: "worker",
                            workload: "Deployment/worker",
                            container: "worker",
                            running: `${repo}/worker:1.1.0`,
                            pinned: `${repo}/worker@${W.digest}`,
                        },
                    ],
                ],
            ],
        );
    });

    it("a namespace kubectl cannot read is the stack's error, on each of its rows", async () => {
        const kubectl = () => Promise.reject(new Error("`kubectl get …` failed: connection refused"));
        const rows = await status(o, { client, kubectl });
        assert.deepStrictEqual(
            rows.map((r) => [r.image, r.clusterError, r.clusterDrift]),
            [
                ["api", "`kubectl get …` failed: connection refused", undefined],
                ["worker", "`kubectl get …` failed: connection refused", undefined],
            ],
        );
    });

    it("without --cluster nothing asks the cluster", async () => {
        const rows = await status({ ...o, cluster: false }, { client, kubectl: () => assert.fail("asked") });
        assert.deepStrictEqual(
            rows.map((r) => r.clusterDrift),
            [undefined, undefined],
        );
    });
});
