import { createHash } from "crypto";
import { Readable, Writable } from "stream";
import { finished } from "stream/promises";
import * as zlib from "zlib";
import * as tar from "tar-stream";
import { isIndexMediaType, Manifest, RegistryClient } from "../registry";

export interface SbomOptions {
    /** RFC 3339 time of the build (the commit time, SOURCE_DATE_EPOCH): the SBOM is reproducible. */
    created: string;
    /** `image-release-<version>`: the SPDX creator. */
    tool: string;
}

export interface SpdxFile {
    fileName: string;
    SPDXID: string;
    checksums: { algorithm: "SHA256" | "SHA1"; checksumValue: string }[];
}

/** A regular file's checksums, hashed as its bytes passed. */
interface FileSums {
    sha256: string;
    sha1: string;
}

/** One entry of a layer as the SBOM needs it: whiteouts and regular files, in the layer's order. */
type LayerEntry = { path: string; file?: FileSums };

/** Hashes one tar entry's body as it streams by. */
async function sums(entry: AsyncIterable<Buffer>): Promise<FileSums> {
    const sha256 = createHash("sha256");
    const sha1 = createHash("sha1");
    for await (const c of entry) {
        sha256.update(c);
        sha1.update(c);
    }
    return { sha256: sha256.digest("hex"), sha1: sha1.digest("hex") };
}

/**
 * A layer's entries, streamed: gunzip → tar entries → per-file hashes, nothing of a file kept but its
 * checksums. A layer that is not a (gzip) tar gives its reason instead; its bytes are still read to
 * the end, so a blob that is not what its digest says fails the read (readBlobStream).
 */
async function layerEntries(bytes: Readable, gzipped: boolean): Promise<LayerEntry[] | string> {
    const extract = tar.extract();
    const tarBytes = gzipped ? bytes.pipe(zlib.createGunzip()) : bytes;
    if (gzipped) bytes.on("error", (e) => tarBytes.destroy(e));
    tarBytes.on("error", (e) => extract.destroy(e));
    tarBytes.pipe(extract as unknown as Writable);
    const out: LayerEntry[] = [];
    try {
        for await (const entry of extract) {
            const path = entry.header.name.replace(/^\.?\//, "");
            if (entry.header.type === "file") {
                out.push({ path, file: await sums(entry as AsyncIterable<Buffer>) });
            } else {
                for await (const c of entry) void c;
                out.push({ path });
            }
        }
    } catch (e) {
        if (bytes.errored) throw e;
        // Not a (gzip) tar, e.g. an artifact layer: said in the SBOM rather than failing the release.
        bytes.unpipe();
        bytes.resume();
        await finished(bytes);
        return (e as Error).message;
    }
    tarBytes.unpipe();
    tarBytes.resume();
    await finished(bytes);
    return out;
}

/** Applies one layer's entries to the files so far: a whiteout removes, a regular file is set. */
function applyLayer(files: Map<string, FileSums>, entries: LayerEntry[]): void {
    for (const { path, file } of entries) {
        const base = path.slice(path.lastIndexOf("/") + 1);
        const dir = path.slice(0, path.lastIndexOf("/") + 1);
        if (base === ".wh..wh..opq") {
            for (const k of [...files.keys()]) if (k.startsWith(dir)) files.delete(k);
        } else if (base.startsWith(".wh.")) {
            const gone = dir + base.slice(4);
            for (const k of [...files.keys()]) if (k === gone || k.startsWith(`${gone}/`)) files.delete(k);
        } else if (file) {
            files.set(path, file);
        }
    }
}

/** The regular files of an image after its layers are applied in order (whiteouts remove). */
async function imageFiles(client: RegistryClient, repository: string, manifest: Manifest) {
    const files = new Map<string, FileSums>();
    const unreadable: string[] = [];
    for (const layer of manifest.json.layers ?? []) {
        const gzipped = /gzip/.test(layer.mediaType);
        const entries = await client.readBlobStream(repository, layer, (bytes) =>
            layerEntries(bytes, gzipped),
        );
        if (typeof entries === "string") {
            unreadable.push(`layer ${layer.digest} is not a readable tar (${entries})`);
            continue;
        }
        applyLayer(files, entries);
    }
    return {
        files: [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        unreadable,
    };
}

/** The platform images an SBOM describes: each child of an index (attestation children aside), or the image itself. */
function platformImages(top: Manifest, digest: string): { digest: string; platform: string }[] {
    if (!isIndexMediaType(top.mediaType) && !Array.isArray(top.json.manifests)) {
        return [{ digest, platform: "single" }];
    }
    return (top.json.manifests ?? [])
        .filter((m) => m.platform && m.platform.os !== "unknown")
        .map((m) => ({
            digest: m.digest,
            platform: `${m.platform!.os}/${m.platform!.architecture}${m.platform!.variant ? `/${m.platform!.variant}` : ""}`,
        }));
}

/** One platform image's SPDX package, its files, and the relationships that tie them together. */
async function platformPackage(
    client: RegistryClient,
    repository: string,
    p: { digest: string; platform: string },
): Promise<{ pkg: Record<string, unknown>; files: SpdxFile[]; relationships: Record<string, string>[] }> {
    const pkgId = `SPDXRef-Package-${p.platform.replace(/[^A-Za-z0-9.-]/g, "-")}`;
    const { files: content, unreadable } = await imageFiles(
        client,
        repository,
        await client.getManifest(repository, p.digest),
    );
    const files: SpdxFile[] = [];
    const relationships: Record<string, string>[] = [];
    const sha1s: string[] = [];
    content.forEach(([name, sum], i) => {
        const sha1 = sum.sha1;
        sha1s.push(sha1);
        const id = `${pkgId.replace("Package", "File")}-${i + 1}`;
        files.push({
            fileName: `./${name}`,
            SPDXID: id,
            checksums: [
                { algorithm: "SHA256", checksumValue: sum.sha256 },
                { algorithm: "SHA1", checksumValue: sha1 },
            ],
        });
        relationships.push({ spdxElementId: pkgId, relationshipType: "CONTAINS", relatedSpdxElement: id });
    });
    const analyzed = unreadable.length === 0;
    const pkg = {
        name: `${repository} ${p.platform}`,
        SPDXID: pkgId,
        downloadLocation: "NOASSERTION",
        filesAnalyzed: analyzed,
        ...(analyzed
            ? {
                  packageVerificationCode: {
                      packageVerificationCodeValue: createHash("sha1")
                          .update(sha1s.sort().join(""))
                          .digest("hex"),
                  },
              }
            : { comment: `files listed only from readable layers: ${unreadable.join("; ")}` }),
        checksums: [{ algorithm: "SHA256", checksumValue: p.digest.replace(/^sha256:/, "") }],
        primaryPackagePurpose: "CONTAINER",
    };
    relationships.push({
        spdxElementId: "SPDXRef-DOCUMENT",
        relationshipType: "DESCRIBES",
        relatedSpdxElement: pkgId,
    });
    return { pkg, files, relationships };
}

/**
 * An SPDX 2.3 document for `repository@digest`: one package per platform image, each listing the
 * files of that image with their SHA-256 (and the SHA-1 that SPDX's verification code needs).
 */
export async function buildSbom(
    client: RegistryClient,
    repository: string,
    digest: string,
    o: SbomOptions,
): Promise<Record<string, unknown>> {
    const top = await client.getManifest(repository, digest);
    const packages: Record<string, unknown>[] = [];
    const files: SpdxFile[] = [];
    const relationships: Record<string, string>[] = [];
    for (const p of platformImages(top, digest)) {
        const one = await platformPackage(client, repository, p);
        packages.push(one.pkg);
        // A loop, not push(...): spreading 200,000 entries as arguments overflows the call stack.
        for (const f of one.files) files.push(f);
        for (const r of one.relationships) relationships.push(r);
    }
    return {
        spdxVersion: "SPDX-2.3",
        dataLicense: "CC0-1.0",
        SPDXID: "SPDXRef-DOCUMENT",
        name: `${repository}@${digest}`,
        // Derived from the digest, not random: the same image always gets the same document.
        documentNamespace: `https://spdx.org/spdxdocs/image-release/${repository}/${digest}`,
        creationInfo: { created: o.created, creators: [`Tool: ${o.tool}`] },
        packages,
        files,
        relationships,
    };
}
