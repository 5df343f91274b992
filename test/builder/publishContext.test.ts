import * as assert from "assert";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BuildError, DockerEngine, publishImage } from "../../src/builder";
import { RegistryClient } from "../../src/registry";

/** A stand-in that records every use: the refusal must come before any registry or engine call. */
function untouchable<T extends object>(used: string[], what: string): T {
    return new Proxy({} as T, {
        get: (_t, key) => {
            used.push(`${what}.${String(key)}`);
            throw new Error(`${what}.${String(key)} must not be used`);
        },
    });
}

describe("publishImage with a FIFO in the build context", () => {
    it("refuses by name before any registry or engine call, where it used to block on the read forever", async () => {
        const context = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-fifo-"));
        let writer: ReturnType<typeof spawn> | undefined;
        try {
            fs.writeFileSync(path.join(context, "Dockerfile"), "FROM scratch\nCOPY . /\n");
            const fifo = path.join(context, "events");
            execFileSync("mkfifo", [fifo]);
            // Should the FIFO ever be read again, a writer ends that read after 3 s, so this test fails
            // instead of hanging the run (a blocked readFileSync stops mocha's own timeout too).
            writer = spawn("sh", ["-c", 'sleep 3 && : > "$0"', fifo], { stdio: "ignore" });
            const used: string[] = [];
            await assert.rejects(
                publishImage({
                    context,
                    repository: "127.0.0.1:5000/test/fifo",
                    platforms: ["linux/amd64"],
                    version: "1.0.0",
                    gitSha: "0123abc",
                    sourceDateEpoch: 0,
                    tags: ["1.0.0"],
                    client: untouchable<RegistryClient>(used, "client"),
                    engine: untouchable<DockerEngine>(used, "engine"),
                    cache: false,
                }),
                (e: unknown) =>
                    e instanceof BuildError &&
                    e.message ===
                        `build context "${context}" holds 1 file(s) that are not regular files, directories or symlinks: ` +
                            `"events" (FIFO (named pipe)); an image cannot hold them as they are. ` +
                            `Delete them, or exclude them in .dockerignore`,
            );
            assert.deepStrictEqual(used, []);
        } finally {
            writer?.kill();
            fs.rmSync(context, { recursive: true, force: true });
        }
    });
});
