import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { makeRepo } from "../fixtures/cli/repo";
import { runIn } from "../helpers/cli";

// Issue 16 item 4: registry metadata calls get one deadline per command, which --deadline changes.
describe("cli --deadline", () => {
    for (const bad of ["0", "1.5", "soon"]) {
        it(`refuses --deadline ${bad} as a usage error, naming it`, async () => {
            const r = await runIn(["status", "--repo-root", "/nonexistent", "--deadline", bad]);
            assert.deepStrictEqual(
                [r.code, r.stderr],
                [
                    2,
                    `error: option '--deadline <seconds>' argument '${bad}' is invalid. --deadline must be a whole number of seconds >= 1 (got "${bad}")\n`,
                ],
            );
        });
    }

    it("ends a command whose registry answers every call just inside the per-request timeout @integration", async function () {
        this.timeout(30_000);
        // Each reply takes 1.5 s: well inside the 5 s per-request timeout, but 2 calls exceed 2 s.
        const server = http.createServer((_req, res) => {
            setTimeout(() => {
                res.writeHead(404, { "Content-Type": "application/json" });
                res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
            }, 1500);
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        try {
            const port = (server.address() as AddressInfo).port;
            const dir = makeRepo(`127.0.0.1:${port}/slow/app`, `sha256:${"a".repeat(64)}`);
            const started = Date.now();
            const r = await runIn([
                "status",
                "--repo-root",
                dir,
                "--deadline",
                "2",
                "--json",
                "--concurrency",
                "1",
            ]);
            const elapsed = Date.now() - started;
            assert.strictEqual(r.code, 1, r.stderr);
            const rows = JSON.parse(r.stdout) as { stack: string; error?: string }[];
            const gaveUp =
                `HEAD manifest sha256:${"a".repeat(64)} in 127.0.0.1:${port}/slow/app: gave up: ` +
                "registry metadata calls (manifests, tags, tokens, referrers) took longer than their 2 s deadline";
            // dev pins nothing (no call); staging and prod both end at the one deadline of the command.
            assert.deepStrictEqual(
                rows.map((x) => x.error ?? ""),
                ["", gaveUp, gaveUp],
            );
            // Three stacks at 1.5 s a call would take well over 4.5 s without the deadline.
            assert.ok(elapsed < 4500, `took ${elapsed} ms`);
        } finally {
            server.close();
        }
    });
});
