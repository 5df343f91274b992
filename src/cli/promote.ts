import { isDigest } from "../release";
import { CliDeps, loadStack, outputsFile, readOutputs } from "./context";
import { CliError } from "./errors";
import { distinctDigests, stackFileHistory } from "./gitHistory";
import { applyPin, PinOptions, PinResult } from "./pin";

export interface PromoteOptions extends PinOptions {
    from: string;
    to: string;
}

export interface PromoteResult extends PinResult {
    from: string;
    to: string;
    digest: string;
    version?: string;
    platforms: string[];
    previousDigest?: string;
}

export async function promote(o: PromoteOptions, deps: CliDeps): Promise<PromoteResult> {
    const source = loadStack(o, o.from);
    const target = loadStack(o, o.to);
    if (target.promoteFrom !== o.from) {
        throw new CliError(
            `stack "${o.to}" accepts promotions only from "${target.promoteFrom ?? "(none)"}" (image-release:promoteFrom); refusing to promote from "${o.from}"`,
        );
    }
    let digest = source.digest;
    let version = source.version;
    let gitSha = source.gitSha;
    if (!digest) {
        const rec = readOutputs(o.repoRoot, o.from);
        if (!rec) {
            throw new CliError(
                `stack "${o.from}" has no image-release:digest and no ${outputsFile(o.repoRoot, o.from)}; run \`image-release release\` first`,
            );
        }
        ({ digest, version, gitSha } = rec);
    }
    if (!isDigest(digest))
        throw new CliError(`source digest "${digest}" of stack "${o.from}" is not sha256:<64 hex>`);
    if (digest === target.digest) {
        throw new CliError(`stack "${o.to}" already runs ${digest}; nothing to promote`);
    }
    // Prod only takes what its source stack has actually run, now or in its git history.
    if (o.from !== "dev") {
        const ran = new Set([
            ...(source.digest ? [source.digest] : []),
            ...distinctDigests(stackFileHistory(o.repoRoot, source.file)).map((e) => e.digest as string),
        ]);
        if (!ran.has(digest)) {
            throw new CliError(
                `digest ${digest} never ran in stack "${o.from}"; refusing to promote it to "${o.to}"`,
            );
        }
    }
    await deps.client.verify(`${target.repository}@${digest}`, target.platforms);
    const r = await applyPin(
        o,
        {
            stack: target,
            digest,
            version,
            gitSha,
            promotedFrom: o.from,
            platforms: target.platforms,
            previousDigest: target.digest,
        },
        deps,
        `Promote ${target.repository.split("/").pop()} ${version ?? digest.slice(0, 19)} from ${o.from} to ${o.to}`,
    );
    return {
        ...r,
        from: o.from,
        to: o.to,
        digest,
        version,
        platforms: target.platforms,
        previousDigest: target.digest,
    };
}
