import * as assert from "assert";
import { ManifestTooLargeError, OCI_MANIFEST, RegistryClient, sha256Digest } from "../../src/registry";

const MiB = 1024 * 1024;

describe("manifest size on push", () => {
    // Nothing listens on 127.0.0.1:9: the refusal comes before any request.
    const repo = "127.0.0.1:9/test/too-large";
    const rows: { name: string; size: number; reference: string; message: string }[] = [
        {
            name: "one byte over 4 MiB, by digest",
            size: 4 * MiB + 1,
            reference: "sha256:",
            message: `is 4.0 MiB (4194305 bytes), over the 4 MiB (4194304 bytes) that registries take`,
        },
        {
            name: "a 6.5 MiB index, by tag",
            size: 6.5 * MiB,
            reference: "1.0.0",
            message: `is 6.5 MiB (6815744 bytes), over the 4 MiB (4194304 bytes) that registries take`,
        },
    ];
    for (const r of rows) {
        it(`${r.name}: ManifestTooLargeError, nothing sent`, async () => {
            const bytes = Buffer.alloc(r.size, 0x20);
            const client = new RegistryClient({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
            const reference = r.reference === "sha256:" ? sha256Digest(bytes) : r.reference;
            await assert.rejects(client.putManifest(repo, reference, bytes, OCI_MANIFEST), (e: unknown) => {
                assert.ok(e instanceof ManifestTooLargeError, String(e));
                assert.strictEqual(
                    e.message,
                    `manifest ${reference} for ${repo} ${r.message} for a manifest (distribution on push, ` +
                        `containerd on pull); not pushing it`,
                );
                assert.deepStrictEqual([e.size, e.limit], [r.size, 4 * MiB]);
                return true;
            });
        });
    }
});
