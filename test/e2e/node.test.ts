import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AUTH_CREDS, LOCAL_AUTH } from "../fixtures/registry/testImage";
import { kubectl, podsOf, REGISTRY, ROOT, run, timings, uniqueRun } from "./harness";

/** scripts/cluster-node.sh's node; kwok-node-0 is tainted, so untolerating Pods land here. */
const NODE = "real-node-0";
const DOCKER = "/usr/bin/docker";
const SERVER_SOURCE = path.join(ROOT, "test", "fixtures", "node", "server.go");

/** Runs a command to completion; fails the test with its own words. */
async function must(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, input?: string) {
    const r =
        input === undefined ? await run(cmd, args, cwd, env) : await runWithInput(cmd, args, cwd, env, input);
    assert.strictEqual(r.code, 0, `${cmd} ${args.join(" ")}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
}

function runWithInput(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, input: string) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const p = spawn(cmd, args, { cwd, env: { ...process.env, ...env } });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        p.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
        p.stdin.end(input);
    });
}

/** Applies one manifest (a JSON object) with kubectl. */
function apply(manifest: object): void {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "image-release-node-")), "m.json");
    fs.writeFileSync(file, JSON.stringify(manifest));
    kubectl(["apply", "-f", file]);
}

/** Polls `probe` every 500 ms until it returns a value, or fails after `seconds` with `what`. */
async function until<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
    const end = Date.now() + seconds * 1000;
    for (;;) {
        const v = probe();
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`gave up after ${seconds}s waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 500));
    }
}

/** How long the kubelet says the pull took ("Successfully pulled image … in 68ms (…)"). */
function pullSeconds(ns: string, pod: string): number {
    const events = kubectl([
        "get",
        "events",
        "-n",
        ns,
        "--field-selector",
        `involvedObject.name=${pod},reason=Pulled`,
        "-o",
        "jsonpath={range .items[*]}{.message}{'\\n'}{end}",
    ]);
    const m = /Successfully pulled image .* in ([0-9.]+)(ms|s) \(/.exec(events);
    assert.ok(m, `no "Successfully pulled" event for ${pod}: ${events}`);
    return Number(m[1]) / (m[2] === "ms" ? 1000 : 1);
}

/** Builds the smoke server with `version` linked in, as a FROM scratch image; pushes it; its digest. */
async function pushServer(work: string, dockerConfig: string, tag: string, version: string): Promise<string> {
    const ctx = fs.mkdtempSync(path.join(work, "image-"));
    const ldflags = `-s -w -X main.version=${version}`;
    const out = path.join(ctx, "server");
    const build = ["build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, SERVER_SOURCE];
    await must("go", build, work, { CGO_ENABLED: "0", GOFLAGS: "" });
    fs.writeFileSync(
        path.join(ctx, "Dockerfile"),
        'FROM scratch\nCOPY server /server\nENTRYPOINT ["/server"]\n',
    );
    const env = { DOCKER_CONFIG: dockerConfig, DOCKER_BUILDKIT: "1" };
    await must(DOCKER, ["build", "-q", "-t", tag, ctx], work, env);
    const pushed = await must(DOCKER, ["push", tag], work, env);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
    assert.ok(digest, `docker push ${tag} printed no digest: ${pushed}`);
    return digest;
}

/**
 * GET `url` until it answers: a Service's rules follow its Pod's readiness (EndpointSlice, then
 * kube-proxy's next sync), so the first request may meet a REJECT. Fails with the last error after 30 s.
 */
async function answer(url: string): Promise<[number, string]> {
    let last: unknown;
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
        try {
            const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
            return [r.status, await r.text()];
        } catch (e) {
            last = e;
            await new Promise((r) => setTimeout(r, 250));
        }
    }
    throw new Error(`GET ${url}: ${String((last as { cause?: unknown })?.cause ?? last)}`);
}

/** A one-replica Deployment of the smoke server and its ClusterIP Service, in `ns`. */
function server(
    ns: string,
    name: string,
    image: string,
    pullSecret?: string,
    pull = "IfNotPresent",
): object[] {
    const labels = { app: name };
    return [
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name, namespace: ns, labels },
            spec: {
                replicas: 1,
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
                        containers: [
                            {
                                name: "server",
                                image,
                                imagePullPolicy: pull,
                                ports: [{ containerPort: 8080 }],
                                readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 1 },
                            },
                        ],
                    },
                },
            },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name, namespace: ns, labels },
            spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
        },
    ];
}

/**
 * Issue 18's node: a real kubelet (containerd, CNI bridge, kube-proxy) runs what a digest pins. The
 * image is a static Go server FROM scratch, built here, whose answer names this run.
 */
describe("e2e: the real node pulls a pinned digest, runs it and answers through its Service", function () {
    this.timeout(300_000);
    const r = uniqueRun();
    const ns = `e2e-${r.id}-node`;
    const version = `node-${r.id}`;
    const repo = `${REGISTRY}/e2e-${r.id}/node-smoke`;
    const authRepo = `${LOCAL_AUTH}/e2e-${r.id}/node-smoke`;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-node-"));
    const dockerConfig = path.join(work, "docker");
    let digest = "";
    let authDigest = "";

    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: `node: ${t.title}`, seconds: (t.duration ?? 0) / 1000 });
    });

    before(async () => {
        const ready = kubectl([
            "get",
            "node",
            NODE,
            "-o",
            'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ]);
        assert.strictEqual(ready, "True", `node ${NODE} is not Ready: scripts/cluster-up.sh starts it`);
        fs.mkdirSync(dockerConfig);
        fs.writeFileSync(path.join(dockerConfig, "config.json"), "{}");
        await must(
            DOCKER,
            ["login", LOCAL_AUTH, "-u", AUTH_CREDS.username, "--password-stdin"],
            work,
            { DOCKER_CONFIG: dockerConfig },
            AUTH_CREDS.password,
        );
        // Two builds, two digests: a node that holds a digest already runs it without pulling (with
        // IfNotPresent), so the 5001 image must be one the node has never seen.
        digest = await pushServer(work, dockerConfig, `${repo}:v1`, version);
        authDigest = await pushServer(work, dockerConfig, `${authRepo}:v1`, `${version}-5001`);
        kubectl(["create", "namespace", ns]);
    });

    after(() => {
        kubectl(["delete", "namespace", ns, "--wait=false"]);
    });

    it("a Deployment pinned to repo@digest runs on the real node and answers through its ClusterIP", async () => {
        const image = `${repo}@${digest}`;
        for (const m of server(ns, "smoke", image)) apply(m);
        const pod = await until("the smoke Pod to be Running and Ready", 120, () =>
            podsOf(ns, "app=smoke").find((p) => p.phase === "Running" && p.ready),
        );
        assert.deepStrictEqual([pod.node, pod.imageID], [NODE, image]);
        timings.push({
            step: "node: pull by digest (the kubelet's Pulled event)",
            seconds: pullSeconds(ns, pod.name),
        });
        const ip = kubectl(["get", "service", "smoke", "-n", ns, "-o", "jsonpath={.spec.clusterIP}"]);
        const waited = Date.now();
        assert.deepStrictEqual(await answer(`http://${ip}/`), [200, `node-smoke ${version}\n`]);
        timings.push({
            step: "node: Service answers after the Pod is Ready",
            seconds: (Date.now() - waited) / 1000,
        });
    });

    it("kubectl logs reads the container's output through the kubelet", async () => {
        const logs = kubectl(["logs", "-n", ns, "deployment/smoke"]);
        assert.match(logs, new RegExp(`node-smoke ${version} listening on :8080\\n$`));
    });

    it("kubectl port-forward reaches the Pod through the kubelet", async () => {
        const pf = spawn("kubectl", ["port-forward", "-n", ns, "deployment/smoke", ":8080"], {
            env: process.env,
        });
        try {
            const local = await new Promise<string>((resolve, reject) => {
                let out = "";
                pf.stdout.on("data", (d: Buffer) => {
                    out += d.toString();
                    const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
                    if (m) resolve(m[1]);
                });
                pf.stderr.on("data", (d: Buffer) =>
                    reject(new Error(`kubectl port-forward: ${d.toString().trim()}`)),
                );
                pf.on("close", (code) =>
                    reject(new Error(`kubectl port-forward exited with ${code}: ${out}`)),
                );
            });
            const answer = await fetch(`http://127.0.0.1:${local}/`, { signal: AbortSignal.timeout(5000) });
            assert.deepStrictEqual([answer.status, await answer.text()], [200, `node-smoke ${version}\n`]);
        } finally {
            pf.kill();
        }
    });

    it("a Pod pulls from 127.0.0.1:5001 with its imagePullSecret", async () => {
        const auth = Buffer.from(`${AUTH_CREDS.username}:${AUTH_CREDS.password}`).toString("base64");
        apply({
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "pull-5001", namespace: ns },
            type: "kubernetes.io/dockerconfigjson",
            data: {
                ".dockerconfigjson": Buffer.from(
                    JSON.stringify({ auths: { [LOCAL_AUTH]: { auth } } }),
                ).toString("base64"),
            },
        });
        const image = `${authRepo}@${authDigest}`;
        for (const m of server(ns, "authed", image, "pull-5001")) apply(m);
        const pod = await until("the authed Pod to be Running and Ready", 120, () =>
            podsOf(ns, "app=authed").find((p) => p.phase === "Running" && p.ready),
        );
        assert.deepStrictEqual([pod.node, pod.imageID], [NODE, image]);
        const ip = kubectl(["get", "service", "authed", "-n", ns, "-o", "jsonpath={.spec.clusterIP}"]);
        assert.deepStrictEqual(await answer(`http://${ip}/`), [200, `node-smoke ${version}-5001\n`]);
    });

    it("without the secret the pull fails, and the Pod's status names the registry", async () => {
        // Always: with IfNotPresent the node would run the image the authed Pod pulled, unasked.
        const image = `${authRepo}@${authDigest}`;
        for (const m of server(ns, "anonymous", image, undefined, "Always")) apply(m);
        const waiting = await until("the anonymous Pod's pull to fail", 120, () => {
            const w = podsOf(ns, "app=anonymous")[0]?.waiting;
            return w && ["ErrImagePull", "ImagePullBackOff"].includes(w.reason ?? "") && w.message
                ? w
                : undefined;
        });
        assert.ok(waiting.message?.includes(`"${image}"`), waiting.message);
        assert.match(waiting.message ?? "", /127\.0\.0\.1:5001.*401 Unauthorized/, waiting.message);
    });
});
