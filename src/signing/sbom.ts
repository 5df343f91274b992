import { createHash } from "crypto";
import * as zlib from "zlib";
import { readTar } from "../builder";
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

/** The regular files of an image after its layers are applied in order (whiteouts remove). */
async function imageFiles(client: RegistryClient, repository: string, manifest: Manifest) {
    const files = new Map<string, Buffer>();
    const unreadable: string[] = [];
    for (const layer of manifest.json.layers ?? []) {
        // A layer is read whole here: as large as its descriptor says, and no larger.
        const blob = await client.getBlob(repository, layer.digest, {
            bytes: layer.size,
            what: "this layer",
        });
        let entries: Awaited<ReturnType<typeof readTar>>;
        try {
            entries = await readTar(/gzip/.test(layer.mediaType) ? zlib.gunzipSync(blob) : blob);
        } catch (e) {
            // Not a (gzip) tar, e.g. an artifact layer: say so in the SBOM rather than fail the release.
            unreadable.push(`layer ${layer.digest} is not a readable tar (${(e as Error).message})`);
            continue;
        }
        for (const [name, entry] of entries) {
            const path = name.replace(/^\.?\//, "");
            const base = path.slice(path.lastIndexOf("/") + 1);
            const dir = path.slice(0, path.lastIndexOf("/") + 1);
            if (base === ".wh..wh..opq") {
                for (const k of [...files.keys()]) if (k.startsWith(dir)) files.delete(k);
            } else if (base.startsWith(".wh.")) {
                const gone = dir + base.slice(4);
                for (const k of [...files.keys()])
                    if (k === gone || k.startsWith(`${gone}/`)) files.delete(k);
            } else if (entry.header.type === "file") {
                files.set(path, entry.body);
            }
        }
    }
    return {
        files: [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        unreadable,
    };
}

function hex(algorithm: "sha256" | "sha1", b: Buffer): string {
    return createHash(algorithm).update(b).digest("hex");
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
    content.forEach(([name, body], i) => {
        const sha1 = hex("sha1", body);
        sha1s.push(sha1);
        const id = `${pkgId.replace("Package", "File")}-${i + 1}`;
        files.push({
            fileName: `./${name}`,
            SPDXID: id,
            checksums: [
                { algorithm: "SHA256", checksumValue: hex("sha256", body) },
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
        files.push(...one.files);
        relationships.push(...one.relationships);
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
