import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { status } from "../../src/flows";
import { RegistryClient } from "../../src/registry";
import { releasedElsewhere, testClient } from "../fixtures/cli/scenarios";
import { Exchange, StubRegistry } from "../fixtures/registry/stub";

const client = testClient();
const deps = { client };

describe("status @integration", () => {
    it("dev released into another repository: status checks it there and flags it", async () => {
        const { dir, want } = await releasedElsewhere(client);
        assert.deepStrictEqual(
            await status({ stacksDir: path.join(dir, "stacks"), repoRoot: dir }, deps),
            want,
        );
    });
});

const PIN = `sha256:${"a".repeat(64)}`;
const OTHER = `sha256:${"b".repeat(64)}`;

/** A HEAD the stub answers: 200 with the digest, or 404. */
const headOf = (repo: string, ref: string, digest?: string): Exchange => ({
    method: "HEAD",
    path: `/v2/team/${repo}/manifests/${ref}`,
    status: digest === undefined ? 404 : 200,
    ...(digest === undefined ? {} : { reply: { headers: { "Docker-Content-Digest": digest } } }),
});

describe("status: the pin is read only when the channel tag does not name it", () => {
    const rows: {
        name: string;
        /** What the registry answers, and exactly the requests status may send. */
        script: Exchange[];
        want: { channelDigest?: string; present: boolean; drift: boolean };
    }[] = [
        {
            name: "the tag names the pin: one HEAD, present, no drift",
            script: [headOf("api", "staging", PIN)],
            want: { channelDigest: PIN, present: true, drift: false },
        },
        {
            name: "the tag names another digest: the pin's own HEAD too, present, drift",
            script: [headOf("api", "staging", OTHER), headOf("api", PIN, PIN)],
            want: { channelDigest: OTHER, present: true, drift: true },
        },
        {
            name: "no tag, no pin: both HEADs, absent, drift",
            script: [headOf("api", "staging"), headOf("api", PIN)],
            want: { present: false, drift: true },
        },
    ];
    for (const row of rows) {
        it(row.name, async () => {
            const stub = await StubRegistry.start();
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-status-"));
            try {
                fs.mkdirSync(path.join(dir, "stacks"));
                fs.writeFileSync(
                    path.join(dir, "stacks", "Pulumi.staging.yaml"),
                    [
                        "config:",
                        "  image-release:channel: staging",
                        "  image-release:images:",
                        "    api:",
                        `      repository: ${stub.registry}/team/api`,
                        `      digest: ${PIN}`,
                        "      version: 1.0.0",
                        "",
                    ].join("\n"),
                );
                stub.expect(row.script);
                const c = new RegistryClient({
                    dockerConfigPath: "/nonexistent/config.json",
                    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
                });
                const got = await status(
                    { stacksDir: path.join(dir, "stacks"), repoRoot: dir },
                    { client: c },
                );
                assert.deepStrictEqual(got, [
                    {
                        stack: "staging",
                        image: "api",
                        version: "1.0.0",
                        digest: PIN,
                        channel: "staging",
                        ...(row.want.channelDigest ? { channelDigest: row.want.channelDigest } : {}),
                        present: row.want.present,
                        drift: row.want.drift,
                    },
                ]);
                assert.deepStrictEqual(stub.problems, []);
                assert.deepStrictEqual(stub.unused(), []);
            } finally {
                await stub.close();
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    }
});
