import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ChildProcess } from "child_process";
import { RegistryClient } from "../src/registry";
import { artifactTag, readArtifact, SPDX_DOCUMENT } from "../src/signing";
import { buildCache, pruneOwnCache } from "../test/fixtures/builder/buildCache";
import { BUILD, child, compile, startRegistry } from "./largeImage";
import { Figure, log } from "./measure";

/*
 * An image of 100,000 small files (FROM scratch, 10 directories of 10,000 files of 200-455 bytes),
 * built and pushed in one child process, then its SBOM, signature and provenance made in another
 * (signRelease alone on the pushed digest), so the SBOM's peak RSS and time are its own and not the
 * build's. Everything lives under one temporary directory (the context, a registry of our own on a free
 * 127.0.0.1 port) and goes at the end, with the engine's build cache records the run added over 100 MB.
 */

const DIRS = 10;
const FILES_PER_DIR = 10_000;
const MB = 1e6;

export interface ManyFilesResult {
    files: number;
    contextBytes: number;
    build: { seconds: number; maxRssBytes: number; digest: string };
    sign: { seconds: number; maxRssBytes: number };
    /** The SPDX attestation as pushed: the DSSE envelope, its statement base64 inside. */
    sbomEnvelopeBytes: number;
}

/** Each file's bytes differ (its own path and a counter), so the SBOM hashes 100,000 distinct files. */
function writeManyFilesContext(dir: string): number {
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\nCOPY files/ /files/\n");
    let bytes = 0;
    for (let d = 0; d < DIRS; d++) {
        const sub = path.join(dir, "files", `dir-${d}`);
        fs.mkdirSync(sub, { recursive: true });
        for (let f = 0; f < FILES_PER_DIR; f++) {
            const body = `dir-${d}/file-${f}\n`.padEnd(200 + (f % 256), "abcdefghijklmnopqrstuvwxyz\n");
            fs.writeFileSync(path.join(sub, `file-${f}.txt`), body);
            bytes += body.length;
        }
    }
    return bytes;
}

/** The size of the SPDX envelope that signRelease attached to `digest`. */
async function sbomEnvelopeBytes(repository: string, digest: string): Promise<number> {
    const att = await readArtifact(new RegistryClient(), repository, artifactTag(digest, "att"));
    const layer = att?.layers.find((l) => Object.values(l.annotations ?? {}).includes(SPDX_DOCUMENT));
    if (!layer) throw new Error(`${repository}@${digest} has no SPDX attestation`);
    return layer.size;
}

/** The 100,000-file figure: build + push, then SBOM + signing, each in its own process. */
export async function benchManyFiles(): Promise<ManyFilesResult> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-files-"));
    let registry: ChildProcess | undefined;
    const cacheBefore = await buildCache();
    try {
        await compile();
        log(`many files: writing ${DIRS} x ${FILES_PER_DIR} files`);
        const context = path.join(root, "context");
        fs.mkdirSync(context);
        const contextBytes = writeManyFilesContext(context);
        const r = await startRegistry(path.join(root, "registry"));
        registry = r.child;
        const repository = `${r.registry}/bench/many-files`;
        log("many files: build + push (no key) in its own process");
        const build = (await child(["build", context, repository])) as ManyFilesResult["build"];
        log("many files: SBOM + signature + provenance (signRelease) in its own process");
        const sign = (await child(["sign", context, repository, build.digest])) as ManyFilesResult["sign"];
        return {
            files: DIRS * FILES_PER_DIR,
            contextBytes,
            build,
            sign,
            sbomEnvelopeBytes: await sbomEnvelopeBytes(repository, build.digest),
        };
    } finally {
        registry?.kill();
        fs.rmSync(root, { recursive: true, force: true });
        fs.rmSync(BUILD, { recursive: true, force: true });
        await pruneOwnCache(cacheBefore);
    }
}

export function manyFilesFigures(r: ManyFilesResult): Figure[] {
    const mb = (b: number): string => `${(b / MB).toFixed(0)} MB`;
    const shape = `${r.files.toLocaleString("en")} files of ${(r.contextBytes / r.files).toFixed(0)} B on average`;
    const doc =
        `SPDX envelope ${mb(r.sbomEnvelopeBytes)} (${r.sbomEnvelopeBytes} B, the document base64 inside ` +
        `a DSSE envelope): the SPDX format lists every file with its checksums and a CONTAINS relationship, so ` +
        `the document itself holds ${r.files.toLocaleString("en")} entries`;
    return [
        {
            id: "manyFiles.signRss",
            name: "11a 100,000-file image: SBOM + signing peak RSS",
            value: r.sign.maxRssBytes,
            display: mb(r.sign.maxRssBytes),
            goal: "reported",
            detail:
                `signRelease alone on the pushed digest (${shape}): ${r.sign.seconds.toFixed(1)} s; ${doc}; ` +
                `build + push before it, in its own process: ${r.build.seconds.toFixed(1)} s, peak RSS ` +
                `${mb(r.build.maxRssBytes)}`,
        },
        {
            id: "manyFiles.signSeconds",
            name: "11b 100,000-file image: SBOM + signing wall time",
            value: r.sign.seconds,
            display: `${r.sign.seconds.toFixed(1)} s`,
            goal: "reported",
            detail: `read the layer, hash every file (SHA-256 and SHA-1), write and sign the SPDX and provenance attestations, push them; ${r.build.digest}`,
        },
    ];
}

if (require.main === module) {
    benchManyFiles().then(
        (r) => {
            for (const f of manyFilesFigures(r)) console.log(`${f.name}: ${f.display}\n    ${f.detail}`);
            console.log(JSON.stringify(r));
        },
        (e: Error) => {
            console.error(`bench: ${e.stack ?? e.message}`);
            process.exitCode = 1;
        },
    );
}
