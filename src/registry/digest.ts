import { createHash } from "crypto";

export function sha256Digest(bytes: Uint8Array): string {
    return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}
