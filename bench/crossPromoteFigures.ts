import type { CrossPromoteResult, RepromoteResult } from "./crossPromote";
import { Figure, list, ms, peerFailure } from "./measure";

/** 7a-7d: copyImage against skopeo and docker across registries, mount vs full copy, re-promotion. */
export function crossPromoteFigures(x: CrossPromoteResult): Figure[] {
    const out: Figure[] = [];
    const c = x.cross;
    const ours = c.ours;
    const mismatch = ours.bytesCopied.some((b, i) => b !== ours.bytesStreamed[i])
        ? `; WARNING: CopyResult.bytesCopied said [${ours.bytesCopied.join(", ")}] B`
        : "";
    const oursDetail =
        `copyImage median ${ours.median?.toFixed(2)} s [${list(ours.seconds)}], ${ours.blobsCopied.join("/")} ` +
        `blobs, [${ours.bytesStreamed.join(", ")}] B streamed (onTransfer)${mismatch}`;
    const fresh =
        `n=${x.runs} each, interleaved; every run copies its own freshly pushed 2-arch index ` +
        `(${c.sourceBlobBytes} B of blobs with a random file in each layer) into a fresh repository, so no blob ` +
        `is in the target registry and no tool cache can mount it`;
    if (c.skopeo.failure)
        out.push(peerFailure("crossPromote.skopeo", "7a cross-registry: skopeo", c.skopeo.failure));
    else if (ours.median !== undefined && c.skopeo.median !== undefined) {
        const ratio = ours.median / c.skopeo.median;
        out.push({
            id: "crossPromote.vsSkopeo",
            name: "7a copy 5000->5001: copyImage / skopeo copy --all",
            value: ratio,
            display: `${ratio.toFixed(2)}x`,
            goal: "<= 1.0x",
            pass: ratio <= 1.0,
            detail:
                `${oursDetail}; skopeo median ${c.skopeo.median.toFixed(2)} s [${list(c.skopeo.seconds)}], ` +
                `[${c.skopeo.layerBytes.join(", ")}] B of layers in the target, digest preserved=` +
                `${c.skopeo.digestPreserved}${c.skopeo.notes.length ? `; ${c.skopeo.notes.join("; ")}` : ""}; ${fresh}`,
        });
    }
    if (c.docker.failure)
        out.push(peerFailure("crossPromote.docker", "7b cross-registry: docker", c.docker.failure));
    else if (ours.median !== undefined && c.docker.median !== undefined) {
        const speedup = c.docker.median / ours.median;
        out.push({
            id: "crossPromote.vsDocker",
            name: "7b copy 5000->5001: docker pull+tag+push / copyImage",
            value: speedup,
            display: `${speedup.toFixed(2)}x slower`,
            goal: "reported",
            detail:
                `docker median ${c.docker.median.toFixed(2)} s [${list(c.docker.seconds)}] vs copyImage ` +
                `${ours.median.toFixed(2)} s; docker pulled only ${c.docker.platform} ([${c.docker.layerBytes.join(", ")}] ` +
                `B of the ${c.sourceLayerBytes} B of layers) and pushed a single-platform manifest with a new digest ` +
                `(${c.docker.pushedDigests[0]?.slice(0, 19)}...), so the index is not promoted at all; ` +
                `generous to docker${c.docker.notes.length ? `; ${c.docker.notes.join("; ")}` : ""}`,
        });
    }
    const s = x.same;
    const mounted = s.mount.results.map((r) => `${r.blobs.mounted}m/${r.blobs.copied}c`).join(", ");
    out.push({
        id: "crossPromote.mountVsFull",
        name: "7c copy within 5000: full copy / mount",
        value: s.speedup,
        display: `${s.speedup.toFixed(1)}x faster`,
        goal: ">= 10x",
        pass: s.speedup >= 10,
        detail:
            `mount (default) median ${ms(s.mount.median!)} [${s.mount.seconds.map(ms).join(", ")}], blobs ` +
            `mounted/copied ${mounted}, [${s.mount.bytesStreamed.join(", ")}] B streamed; mount:false median ` +
            `${s.full.median!.toFixed(2)} s [${list(s.full.seconds)}], [${s.full.bytesStreamed.join(", ")}] B streamed; ` +
            `repository A -> a fresh repository B each run, n=${s.mount.seconds.length} each, interleaved`,
    });
    out.push(repromoteFigure(x.repromote));
    return out;
}

/** 7d: re-promotion to a target that already has the digest, with each side's requests of one run. */
export function repromoteFigure(r: RepromoteResult): Figure {
    const sent = (xs: string[]): string => `${xs.length} (${xs.join(", ")})`;
    return {
        id: "crossPromote.repromote",
        name: "7d re-promote (target has it): copyImage / bare GET+PUT",
        value: r.ratio,
        display: `${r.ratio.toFixed(2)}x`,
        goal: "<= 1.5x",
        pass: r.ratio <= 1.5,
        detail:
            `copyImage with a new tag median ${ms(r.copy.median!)} (min ${ms(Math.min(...r.copy.seconds))}; ` +
            `alreadyPresent and 0 B every run=${r.alreadyPresent}) vs ${r.requestsNote} median ${ms(r.bare.median!)} ` +
            `(min ${ms(Math.min(...r.bare.seconds))}); n=${r.copy.seconds.length} each, interleaved, after one warm-up; ` +
            `requests per run: copyImage ${sent(r.copyRequests)}, bare ${sent(r.bareRequests)}`,
    };
}
