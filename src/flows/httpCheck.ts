import * as fs from "fs";
import * as https from "https";
import { HttpCheck, StackImageConfig } from "../stackconfig";
import { clusterSelection, KubectlFn } from "./clusterState";
import { Refusal } from "./refusal";

/** One answer of an HTTP check. */
export interface HttpAnswer {
    status: number;
    body: string;
}

/** GETs a path of the API server (its Service proxy), as the stack's kubeconfig authenticates. */
export type ApiGetFn = (path: string, timeoutMs: number) => Promise<HttpAnswer>;

interface KubeconfigView {
    clusters?: { cluster?: Record<string, string> }[];
    users?: { user?: Record<string, string> }[];
}

/** A kubeconfig credential: inline data, or a file it names. */
function material(o: Record<string, string> | undefined, key: string): Buffer | undefined {
    if (o === undefined) return undefined;
    if (o[`${key}-data`] !== undefined) return Buffer.from(o[`${key}-data`], "base64");
    return o[key] !== undefined ? fs.readFileSync(o[key]) : undefined;
}

/**
 * The default ApiGetFn for a stack: the API server and credentials of its kubeconfig and context (as
 * `kubectl config view --raw --minify` resolves them), so a check reaches exactly the cluster the stack
 * deploys to. The body is capped at 64 KiB.
 */
export async function stackApiGet(s: StackImageConfig, kubectl: KubectlFn): Promise<ApiGetFn> {
    const args = ["config", "view", "--raw", "--minify", "--output", "json", ...clusterSelection(s)];
    const view = JSON.parse(await kubectl(args)) as KubeconfigView;
    const cluster = view.clusters?.[0]?.cluster;
    const user = view.users?.[0]?.user;
    if (cluster?.server === undefined)
        throw new Refusal(`stack "${s.stack}": its kubeconfig names no API server`);
    const server = new URL(cluster.server);
    const ca = material(cluster, "certificate-authority");
    const cert = material(user, "client-certificate");
    const key = material(user, "client-key");
    const token = user?.token;
    return (path, timeoutMs) =>
        new Promise((resolve, reject) => {
            const req = https.request(
                {
                    host: server.hostname,
                    port: server.port || 443,
                    path: `${server.pathname.replace(/\/$/, "")}${path}`,
                    method: "GET",
                    ...(ca ? { ca } : {}),
                    ...(cert ? { cert } : {}),
                    ...(key ? { key } : {}),
                    headers: token ? { authorization: `Bearer ${token}` } : {},
                    timeout: timeoutMs,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    let size = 0;
                    res.on("data", (c: Buffer) => {
                        if (size < 65536) chunks.push(c);
                        size += c.length;
                    });
                    res.on("end", () =>
                        resolve({
                            status: res.statusCode ?? 0,
                            body: Buffer.concat(chunks).toString("utf8").slice(0, 65536),
                        }),
                    );
                },
            );
            req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs / 1000}s`)));
            req.on("error", reject);
            req.end();
        });
}

/** The API server path of a check: its Service's proxy in the stack's namespace. */
export function proxyPath(namespace: string, c: HttpCheck): string {
    return `/api/v1/namespaces/${namespace}/services/${c.service}:${c.port}/proxy${c.path}`;
}

/** What is wrong with one answer, or undefined when it passes. */
export function httpProblem(c: HttpCheck, a: HttpAnswer): string | undefined {
    if (a.status !== c.status) {
        const said = a.body.trim().split("\n")[0]?.slice(0, 200) ?? "";
        return `GET ${c.path} on Service ${c.service}:${c.port} answered ${a.status}, expected ${c.status}${said ? ` (${said})` : ""}`;
    }
    if (c.body !== undefined && !new RegExp(c.body).test(a.body)) {
        return `GET ${c.path} on Service ${c.service}:${c.port} answered ${a.status}, but its body does not match /${c.body}/ (${a.body.trim().slice(0, 200)})`;
    }
    return undefined;
}
