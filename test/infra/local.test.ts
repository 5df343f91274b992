import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const STATE_DIR = process.env.IMAGE_RELEASE_STATE_DIR ?? "/var/tmp/image-release-local";

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    return res.status;
}

describe("local infrastructure @integration", () => {
    it("registry on 127.0.0.1:5000 answers GET /v2/ with 200", async () => {
        assert.strictEqual(await status("http://127.0.0.1:5000/v2/"), 200);
    });

    it("registry on 127.0.0.1:5001 answers 401 without credentials", async () => {
        assert.strictEqual(await status("http://127.0.0.1:5001/v2/"), 401);
    });

    it("registry on 127.0.0.1:5001 answers 200 with the state dir's credentials", async () => {
        const file = path.join(STATE_DIR, "registry-5001", "credentials");
        const [user, password] = fs.readFileSync(file, "utf8").split("\n");
        assert.ok(user && password, `${file} must hold a user line and a password line`);
        const auth = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
        assert.strictEqual(await status("http://127.0.0.1:5001/v2/", { Authorization: auth }), 200);
    });

    it("registry on 127.0.0.1:5001 answers 401 with a wrong password", async () => {
        const auth = `Basic ${Buffer.from("imagerelease:wrong").toString("base64")}`;
        assert.strictEqual(await status("http://127.0.0.1:5001/v2/", { Authorization: auth }), 401);
    });

    it("dockerd answers /usr/bin/docker version", () => {
        const out = execFileSync("/usr/bin/docker", ["version", "--format", "{{.Server.Version}}"], {
            encoding: "utf8",
            env: { ...process.env, DOCKER_BUILDKIT: "1" },
        }).trim();
        assert.match(out, /^[0-9]+\.[0-9]+\.[0-9]+/);
    });
});
