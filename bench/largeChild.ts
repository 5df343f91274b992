import { BuildPushSignOptions, buildPushSign, provenanceInput } from "../src/flows";
import { copyImage, RegistryClient } from "../src/registry";
import { signRelease, SigningKey } from "../src/signing";
import { throwawayKey } from "./measure";

/*
 * One measured operation in its own process, so its peak RSS (process.resourceUsage().maxRSS) is the
 * operation's alone: `release` (build, push, SBOM, signature and provenance: buildPushSign with a key),
 * `build` (the same without a key: build and push only), `sign` (signRelease alone on a digest that
 * `build` pushed: SBOM, signature, attestations) or `copy` (copyImage across registries, no mount).
 * Prints one JSON line.
 * Usage: largeChild.ts release|build <context> <repository> | sign <context> <repository> <digest>
 *        | copy <from> <to> <digest>
 */

/** What every measured build releases: one platform, one tag, no build cache. */
function releaseOptions(context: string, repository: string): BuildPushSignOptions {
    return {
        context,
        repository,
        platforms: ["linux/amd64"],
        version: "1.0.0",
        gitSha: "0123abc4567def890123abc4567def890123abc4",
        sourceDateEpoch: 1_700_000_000,
        tags: ["1.0.0"],
        cache: false,
    };
}

async function release(
    context: string,
    repository: string,
    key?: SigningKey,
): Promise<Record<string, unknown>> {
    const r = await buildPushSign(
        { ...releaseOptions(context, repository), ...(key ? { key } : {}) },
        { client: new RegistryClient() },
    );
    return {
        digest: r.published.digest,
        bytesUploaded: r.published.bytesUploaded,
        signed: r.signed !== undefined,
    };
}

/** The SBOM, signature and provenance of an image already pushed (as buildPushSign signs it). */
async function sign(context: string, repository: string, digest: string): Promise<Record<string, unknown>> {
    const input = provenanceInput(releaseOptions(context, repository));
    const r = await signRelease(new RegistryClient(), repository, digest, throwawayKey(), input);
    return { digest, attestations: r.attestations.ref };
}

async function copy(from: string, to: string, digest: string): Promise<Record<string, unknown>> {
    const r = await copyImage(new RegistryClient(), { from, to, digest, tags: ["1.0.0"], mount: false });
    return { bytesCopied: r.bytesCopied, blobs: r.blobs };
}

function run(what: string | undefined, args: string[]): Promise<Record<string, unknown>> {
    if (what === "release") return release(args[0], args[1], throwawayKey());
    if (what === "build") return release(args[0], args[1]);
    if (what === "sign") return sign(args[0], args[1], args[2]);
    return copy(args[0], args[1], args[2]);
}

async function main(): Promise<void> {
    const [what, ...args] = process.argv.slice(2);
    const started = process.hrtime.bigint();
    const result = await run(what, args);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    process.stdout.write(`${JSON.stringify({ ...result, seconds, maxRssBytes })}\n`);
}

main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
});
