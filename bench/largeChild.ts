import { generateKeyPairSync } from "crypto";
import { buildPushSign } from "../src/flows";
import { copyImage, RegistryClient } from "../src/registry";
import { parsePrivateKey } from "../src/signing";

/*
 * One measured operation in its own process, so its peak RSS (process.resourceUsage().maxRSS) is the
 * operation's alone: `release` (build, push, SBOM, signature and provenance: buildPushSign with a key)
 * or `copy` (copyImage across registries, no mount). Prints one JSON line.
 * Usage: largeChild.ts release <context> <repository> | copy <from> <to> <digest>
 */

async function release(context: string, repository: string): Promise<Record<string, unknown>> {
    const pem = generateKeyPairSync("ec", { namedCurve: "prime256v1" })
        .privateKey.export({ type: "pkcs8", format: "pem" })
        .toString();
    const r = await buildPushSign(
        {
            context,
            repository,
            platforms: ["linux/amd64"],
            version: "1.0.0",
            gitSha: "0123abc4567def890123abc4567def890123abc4",
            sourceDateEpoch: 1_700_000_000,
            tags: ["1.0.0"],
            cache: false,
            key: parsePrivateKey(pem, undefined, "bench key"),
        },
        { client: new RegistryClient() },
    );
    return {
        digest: r.published.digest,
        bytesUploaded: r.published.bytesUploaded,
        signed: r.signed !== undefined,
    };
}

async function copy(from: string, to: string, digest: string): Promise<Record<string, unknown>> {
    const r = await copyImage(new RegistryClient(), { from, to, digest, tags: ["1.0.0"], mount: false });
    return { bytesCopied: r.bytesCopied, blobs: r.blobs };
}

async function main(): Promise<void> {
    const [what, ...args] = process.argv.slice(2);
    const started = process.hrtime.bigint();
    const result =
        what === "release" ? await release(args[0], args[1]) : await copy(args[0], args[1], args[2]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    process.stdout.write(`${JSON.stringify({ ...result, seconds, maxRssBytes })}\n`);
}

main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
});
