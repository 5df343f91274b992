import * as assert from "assert";
import { renderStatus } from "../../src/cli/output";
import { statusExitCode } from "../../src/cli/status";
import { StackStatus } from "../../src/flows";

const D = `sha256:${"a".repeat(64)}`;
const row = (over: Partial<StackStatus>): StackStatus => ({
    stack: "staging",
    image: "api",
    version: "1.2.0",
    digest: D,
    channel: "staging",
    channelDigest: D,
    present: true,
    drift: false,
    ...over,
});

describe("cli status --cluster: a CLUSTER column, a line per container off its pin, exit 1", () => {
    const drifted = row({
        clusterDrift: [
            {
                image: "api",
                workload: "Deployment/api",
                container: "api",
                running: "127.0.0.1:5000/shop/api:1.0.0",
                pinned: `127.0.0.1:5000/shop/api@${D}`,
            },
        ],
    });
    const rows: { name: string; in: StackStatus[]; column: string; notes: string[]; exit: number }[] = [
        { name: "on its pin", in: [row({ clusterDrift: [] })], column: "ok", notes: [], exit: 0 },
        {
            name: "drifted",
            in: [drifted],
            column: "DRIFT",
            notes: [
                `! staging api: Deployment/api container api runs 127.0.0.1:5000/shop/api:1.0.0, not the pin 127.0.0.1:5000/shop/api@${D}`,
            ],
            exit: 1,
        },
        {
            name: "unreadable",
            in: [row({ clusterError: "`kubectl get` failed: x" })],
            column: "error",
            notes: ["! staging: `kubectl get` failed: x"],
            exit: 1,
        },
    ];
    for (const r of rows) {
        it(r.name, () => {
            const lines = renderStatus(r.in).trimEnd().split("\n");
            assert.match(lines[0], /IN REGISTRY +DRIFT +CLUSTER$/);
            assert.ok(lines[1].trimEnd().endsWith(` ${r.column}`), lines[1]);
            assert.deepStrictEqual(lines.slice(2), r.notes);
            assert.strictEqual(statusExitCode(r.in), r.exit);
        });
    }

    it("without --cluster there is no CLUSTER column, and drift alone exits 0", () => {
        const out = renderStatus([row({})]);
        assert.ok(!out.includes("CLUSTER"), out);
        assert.strictEqual(statusExitCode([row({ drift: true })]), 0);
    });
});
