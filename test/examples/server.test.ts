import * as assert from "assert";
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");
const EXAMPLES = path.join(ROOT, "examples");
const ARCHES = ["amd64", "arm64"];
/** Every build context that ships the example server: the same bytes in each. */
const COPIES = ["hello", "shop/api", "shop/worker"].flatMap((ctx) =>
    ARCHES.map((arch) => `${ctx}/rootfs/${arch}/server`),
);
const SHA = "0123456789abcdef0123456789abcdef01234567";

/** Every `rootfs/<arch>/server` under examples/, so a copy the table forgets is noticed too. */
function committedCopies(dir = EXAMPLES, rel = ""): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) return committedCopies(path.join(dir, e.name), r);
        return /(^|\/)rootfs\/[^/]+\/server$/.test(r) ? [r] : [];
    });
}

describe("examples/server: the committed binaries are build.sh's bytes @integration", function () {
    // A cold Go build cache compiles the standard library for both architectures (~45 s).
    this.timeout(300_000);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-server-"));
    after(() => fs.rmSync(out, { recursive: true, force: true }));

    it("every context holds the same two binaries, and a rebuild from source gives them byte for byte", async () => {
        assert.deepStrictEqual(committedCopies().sort(), [...COPIES].sort());
        // Needs go (the release named in go.mod's toolchain line); build.sh fails, naming it, without.
        await exec("bash", [path.join(EXAMPLES, "server", "build.sh"), out]).catch(
            (e: Error & { stderr?: string }) =>
                assert.fail(`examples/server/build.sh failed: ${e.stderr ?? e.message}`),
        );
        for (const copy of COPIES) {
            const arch = copy.split("/").slice(-2)[0];
            const built = fs.readFileSync(path.join(out, arch, "server"));
            const committed = path.join(EXAMPLES, copy);
            assert.ok(
                fs.readFileSync(committed).equals(built),
                `${copy} differs from a rebuild of examples/server`,
            );
            assert.strictEqual(fs.statSync(committed).mode & 0o777, 0o755, copy);
        }
    });
});

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

interface Reply {
    status: number;
    body: string;
    headers: http.IncomingHttpHeaders;
}

describe("examples/server: the modes the images run", function () {
    this.timeout(30_000);
    const bin = path.join(EXAMPLES, "hello", "rootfs", os.arch() === "arm64" ? "arm64" : "amd64", "server");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-server-run-"));
    const appFile = path.join(dir, "etc", "app.json");
    const children: ChildProcess[] = [];
    after(() => {
        for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const run = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
        new Promise((resolve) => {
            execFile(bin, args, { env: { APP_FILE: appFile, ...env } }, (e, stdout, stderr) =>
                resolve({ code: e ? ((e as { code?: number }).code ?? null) : 0, stdout, stderr }),
            );
        });

    const freePort = (): Promise<number> =>
        new Promise((resolve, reject) => {
            const srv = net.createServer();
            srv.on("error", reject);
            srv.listen(0, "127.0.0.1", () => {
                const { port } = srv.address() as net.AddressInfo;
                srv.close(() => resolve(port));
            });
        });

    const get = (port: number, p: string, method = "GET"): Promise<Reply> =>
        new Promise((resolve, reject) => {
            const req = http.request({ host: "127.0.0.1", port, path: p, method, agent: false }, (res) => {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (c: string) => (body += c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
            });
            req.on("error", reject);
            req.end();
        });

    /** Starts the server and waits until it answers /healthz. */
    async function serve(
        env: Record<string, string>,
    ): Promise<{ port: number; child: ChildProcess; exit: Promise<Run> }> {
        const port = await freePort();
        const child = spawn(bin, [], { env: { APP_FILE: appFile, PORT: String(port), ...env } });
        children.push(child);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
        child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
        const exit = new Promise<Run>((resolve) =>
            child.on("exit", (code) => resolve({ code, stdout, stderr })),
        );
        for (let i = 0; i < 100; i++) {
            if ((await get(port, "/healthz").catch(() => undefined))?.status === 200)
                return { port, child, exit };
            await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`the server did not answer on ${port}: ${stderr}`);
    }

    const baked = `{"app":"hello","version":"1.4.2","gitSha":"${SHA}"}\n`;

    it("--bake writes the build args to the app file; --check prints it; --once adds DATASET_VERSION", async () => {
        assert.deepStrictEqual(await run(["--bake"], { APP: "hello", VERSION: "1.4.2", GIT_SHA: SHA }), {
            code: 0,
            stdout: "",
            stderr: "",
        });
        assert.strictEqual(fs.readFileSync(appFile, "utf8"), baked);
        assert.deepStrictEqual(await run(["--check"]), { code: 0, stdout: baked, stderr: "" });
        assert.deepStrictEqual(await run(["--once"], { DATASET_VERSION: "clicks-2026-11-01" }), {
            code: 0,
            stdout: `{"app":"hello","version":"1.4.2","gitSha":"${SHA}","datasetVersion":"clicks-2026-11-01"}\n`,
            stderr: "",
        });
        // A training command passes the dataset as arguments; they win over the environment.
        assert.deepStrictEqual(
            await run(["--once", "--dataset", "clicks-2026-12-01"], { DATASET_VERSION: "clicks-2026-11-01" }),
            {
                code: 0,
                stdout: `{"app":"hello","version":"1.4.2","gitSha":"${SHA}","datasetVersion":"clicks-2026-12-01"}\n`,
                stderr: "",
            },
        );
    });

    const refusals: { name: string; args: string[]; env: Record<string, string>; stderr: string }[] = [
        {
            name: "--bake without VERSION",
            args: ["--bake"],
            env: { APP: "hello", GIT_SHA: SHA },
            stderr: "server: --bake: build arg VERSION is empty (image-release passes VERSION and GIT_SHA)\n",
        },
        {
            name: "--bake with a GIT_SHA that is no commit",
            args: ["--bake"],
            env: { APP: "hello", VERSION: "1.4.2", GIT_SHA: "HEAD" },
            stderr: 'server: --bake: build arg GIT_SHA must be 7-40 lowercase hex characters (got "HEAD") (image-release passes VERSION and GIT_SHA)\n',
        },
        {
            name: "an unknown argument",
            args: ["--train"],
            env: {},
            stderr: 'server: unknown argument "--train"; usage: server [--bake | --check | --once [--dataset VERSION]]\n',
        },
        {
            name: "two arguments",
            args: ["--check", "--once"],
            env: {},
            stderr: "server: usage: server [--bake | --check | --once [--dataset VERSION]]\n",
        },
        {
            name: "PORT out of range",
            args: [],
            env: { PORT: "70000" },
            stderr: 'server: PORT must be a port number 1-65535 (got "70000")\n',
        },
        {
            name: "a negative DRAIN_SECONDS",
            args: [],
            env: { DRAIN_SECONDS: "-1" },
            stderr: 'server: DRAIN_SECONDS must be a whole number of seconds, 0 or more (got "-1")\n',
        },
        {
            name: "READY neither true nor false",
            args: [],
            env: { READY: "no" },
            stderr: 'server: READY must be true or false (got "no")\n',
        },
    ];
    for (const r of refusals) {
        it(`exits 1 with one line for ${r.name}, and leaves the baked file as it was`, async () => {
            assert.deepStrictEqual(await run(r.args, r.env), { code: 1, stdout: "", stderr: r.stderr });
            assert.strictEqual(fs.readFileSync(appFile, "utf8"), baked);
        });
    }

    it("--check in an image that was never baked fails, naming the file", async () => {
        const missing = path.join(dir, "nowhere", "app.json");
        assert.deepStrictEqual(await run(["--check"], { APP_FILE: missing }), {
            code: 1,
            stdout: "",
            stderr: `server: no baked app info: open ${missing}: no such file or directory (the image runs --bake at build time)\n`,
        });
    });

    it("serves the baked version, /healthz and /readyz; on SIGTERM turns unready, keeps answering, then stops", async () => {
        const { port, child, exit } = await serve({ DRAIN_SECONDS: "1", VERSION: "9.9.9" });
        const root = await get(port, "/");
        assert.deepStrictEqual(
            [root.status, root.headers["content-type"], root.body],
            [200, "application/json", baked],
        );
        assert.deepStrictEqual(
            [(await get(port, "/healthz")).body, (await get(port, "/readyz")).body],
            ["ok\n", "ready\n"],
        );
        assert.strictEqual((await get(port, "/nope")).status, 404);
        assert.strictEqual((await get(port, "/", "POST")).status, 405);
        child.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 200));
        const readyz = await get(port, "/readyz");
        assert.deepStrictEqual([readyz.status, readyz.body], [503, "draining\n"]);
        const draining = await get(port, "/");
        // Still answering, and closing each connection so none outlives the drain.
        assert.deepStrictEqual(
            [draining.status, draining.body, draining.headers.connection],
            [200, baked, "close"],
        );
        const done = await exit;
        assert.strictEqual(done.code, 0);
        assert.strictEqual(
            done.stderr,
            `server: serving ${baked.trim()} on :${port} (ready=true, drain 1s)\n` +
                "server: terminated: not ready, draining for 1s\nserver: stopped\n",
        );
        await assert.rejects(get(port, "/healthz"), /ECONNREFUSED/);
    });

    it("READY=false never turns ready but still answers, for a release that must not roll out", async () => {
        const { port, child, exit } = await serve({ READY: "false", DRAIN_SECONDS: "0" });
        const readyz = await get(port, "/readyz");
        assert.deepStrictEqual([readyz.status, readyz.body], [503, "not ready: READY=false\n"]);
        assert.deepStrictEqual(
            [(await get(port, "/")).body, (await get(port, "/healthz")).status],
            [baked, 200],
        );
        child.kill("SIGTERM");
        assert.strictEqual((await exit).code, 0);
    });
});
