import { createCipheriv, createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const PAYLOAD_BYTES = 50 * 1024 * 1024;
export const ARCHES = ["amd64", "arm64"];

/**
 * AES-128-CTR over zeros: incompressible, so gzip cannot shrink the layer below ~50 MB, yet the same
 * seed gives the same bytes on every run, which keeps layer digests comparable between runs.
 */
export function payload(seed: string, size: number = PAYLOAD_BYTES): Buffer {
    const key = createHash("sha256").update(`image-release-bench:${seed}`).digest();
    const cipher = createCipheriv("aes-128-ctr", key.subarray(0, 16), key.subarray(16, 32));
    return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

/**
 * A FROM-scratch context whose one layer per platform is that arch's ~50 MB payload; `seed` gives bytes
 * of their own (no layer a registry already holds).
 */
export function writeContext(dir?: string, seed?: string): string {
    const context = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "image-release-bench-ctx-"));
    fs.writeFileSync(
        path.join(context, "Dockerfile"),
        "FROM scratch\nARG TARGETARCH\nCOPY payload-${TARGETARCH}.bin /payload.bin\n",
    );
    for (const arch of ARCHES) {
        fs.writeFileSync(
            path.join(context, `payload-${arch}.bin`),
            payload(seed === undefined ? arch : `${seed}-${arch}`),
        );
    }
    return context;
}
