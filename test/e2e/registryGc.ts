import { ChildProcess, execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { closedPort } from "../helpers/cli";

/**
 * The registry's own garbage collection (`docker-registry garbage-collect`) needs the registry stopped or
 * read-only, and it sweeps every unreferenced blob of the whole store: on the shared 127.0.0.1:5000, where
 * other tests push at any time, it would take their half-pushed images. So it runs on a registry the e2e
 * owns: a storage root holding 127.0.0.1:5000's files of this run's repositories (their links and every
 * blob they link, byte for byte, as `gc --apply` left them), collected while no registry serves it, then
 * served on a port of its own on 127.0.0.1 to pull from.
 */

const V2 = path.join("docker", "registry", "v2");

/** Where the distribution filesystem driver keeps a blob. */
export function blobFile(root: string, digest: string): string {
    const hex = digest.replace(/^sha256:/, "");
    return path.join(root, V2, "blobs", "sha256", hex.slice(0, 2), hex, "data");
}

function links(dir: string): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...links(p));
        else if (e.name === "link") out.push(fs.readFileSync(p, "utf8").trim());
    }
    return out;
}

/** Copies `repositories/<name>` of `storage` and every blob it links into a new storage root. */
export function snapshotRepository(storage: string, name: string): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-registry-"));
    const from = path.join(storage, V2, "repositories", name);
    fs.cpSync(from, path.join(root, V2, "repositories", name), { recursive: true });
    for (const digest of new Set(links(from))) {
        const src = blobFile(storage, digest);
        if (!fs.existsSync(src)) continue;
        fs.mkdirSync(path.dirname(blobFile(root, digest)), { recursive: true });
        fs.copyFileSync(src, blobFile(root, digest));
    }
    return root;
}

export interface OwnedRegistry {
    host: string;
    /** What `garbage-collect` printed: the blobs it marked and deleted. */
    collected: string;
    stop: () => void;
}

/** `docker-registry garbage-collect` on the stopped root, then `docker-registry serve` on a free port. */
export async function collectAndServe(root: string): Promise<OwnedRegistry> {
    const port = await closedPort();
    const config = path.join(root, "config.yml");
    fs.writeFileSync(
        config,
        [
            "version: 0.1",
            "log: {level: warn}",
            `storage: {filesystem: {rootdirectory: ${root}}, delete: {enabled: true}, maintenance: {uploadpurging: {enabled: false}}}`,
            `http: {addr: 127.0.0.1:${port}, secret: image-release-e2e-gc}`,
            "",
        ].join("\n"),
    );
    const collected = execFileSync("docker-registry", ["garbage-collect", config], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    const server: ChildProcess = spawn("docker-registry", ["serve", config], { stdio: "ignore" });
    const host = `127.0.0.1:${port}`;
    for (let i = 0; i < 80; i++) {
        if ((await fetch(`http://${host}/v2/`).catch(() => undefined))?.status === 200) break;
        await new Promise((r) => setTimeout(r, 250));
    }
    return { host, collected, stop: () => server.kill() };
}

const ACCEPT = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

async function fetchVerified(url: string, digest: string, accept?: string): Promise<Buffer> {
    const res = await fetch(url, accept ? { headers: { Accept: accept } } : {});
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const got = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (got !== digest) throw new Error(`GET ${url}: content is ${got}, not ${digest}`);
    return bytes;
}

interface Manifest {
    manifests?: { digest: string }[];
    config?: { digest: string };
    layers?: { digest: string }[];
}

/**
 * Pulls `repository@digest` as a client does: the manifest, an index's every platform manifest, each
 * one's config and layers, every byte checked against its digest. Returns the blob count.
 */
export async function pullAll(host: string, name: string, digest: string): Promise<number> {
    const m = JSON.parse(
        (await fetchVerified(`http://${host}/v2/${name}/manifests/${digest}`, digest, ACCEPT)).toString(),
    ) as Manifest;
    let blobs = 0;
    for (const child of m.manifests ?? []) blobs += await pullAll(host, name, child.digest);
    for (const b of [...(m.config ? [m.config] : []), ...(m.layers ?? [])]) {
        await fetchVerified(`http://${host}/v2/${name}/blobs/${b.digest}`, b.digest);
        blobs++;
    }
    return blobs;
}
