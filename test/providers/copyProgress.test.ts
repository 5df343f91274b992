import * as assert from "assert";
import { registryCopyProvider } from "../../src/providers";
import { RegistryClient } from "../../src/registry";
import { AUTH_CREDS, LOCAL, LOCAL_AUTH, pushLayeredImage, uniqueRepo } from "../fixtures/registry/testImage";

/*
 * Under `pulumi up` a dynamic provider's output reaches the engine unstructured, with no resource to
 * attach a live line to: RegistryCopy prints one short line per layer once it is done, and nothing
 * per chunk (each 1 MiB layer arrives in many).
 */

const LAYER = 1024 * 1024;
const credentials = { [LOCAL_AUTH]: AUTH_CREDS };
const client = new RegistryClient({ credentials });
const short = (d: string): string => d.slice("sha256:".length, "sha256:".length + 12);

/** What the provider writes to stderr while `fn` runs (and nothing else: stdout is mocha's). */
async function stderrOf(fn: () => Promise<unknown>): Promise<string[]> {
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (s: string | Uint8Array) => {
        lines.push(String(s));
        return true;
    };
    try {
        await fn();
    } finally {
        process.stderr.write = write;
    }
    return lines;
}

describe("RegistryCopy provider: one line per layer, nothing per chunk @integration", () => {
    const rows = [
        {
            name: "across registries (5000 -> 5001)",
            target: LOCAL_AUTH,
            line: (d: string) => `image-release: copied layer ${short(d)}: 1.0 MiB in <t>\n`,
        },
        {
            name: "same registry (mounted)",
            target: LOCAL,
            line: (d: string) =>
                `image-release: layer ${short(d)} mounted from the source repository (1.0 MiB)\n`,
        },
    ];
    for (const r of rows) {
        it(r.name, async () => {
            const from = uniqueRepo(LOCAL, "provider-progress-src");
            const to = uniqueRepo(r.target, "provider-progress-dst");
            const img = await pushLayeredImage(client, from, `provider-progress-${r.target}`, LAYER);
            const inputs = { from, to, digest: img.indexDigest, tags: [], credentials };
            const lines = await stderrOf(() => registryCopyProvider.create(inputs));
            const layers = img.blobs.filter((b) => b.size === LAYER).map((b) => b.digest);
            assert.deepStrictEqual(
                lines
                    .map((l) =>
                        l.replace(/ in \d+\.\d s \(\d+(?:\.\d)? (?:B|KiB|MiB|GiB)\/s\)\n$/, " in <t>\n"),
                    )
                    .sort(),
                layers.map(r.line).sort(),
            );
            assert.strictEqual((await client.headManifest(to, img.indexDigest))?.digest, img.indexDigest);
        });
    }
});
