import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ImagePin } from "../release";
import { shortDigest } from "./annotations";
import { pinWorkloads, PinWorkloadsOptions } from "./pinWorkloads";

/** One image of the stack as the workload transform needs it; dev's digest is known only once it is built. */
export interface StackPin extends Omit<ImagePin, "digest"> {
    readonly digest: pulumi.Input<string>;
}

/**
 * A stand-in for a digest the program does not know yet: well-formed, so the pure rewrite takes it, and
 * derived from the image's name, so no registry holds it and no two images share one.
 */
export function standInDigest(name: string): string {
    return `sha256:${crypto.createHash("sha256").update(`image-release/digest-to-be-built/${name}`).digest("hex")}`;
}

/** `node` with every string that holds a stand-in replaced by an Output of the string with the real digest. */
export function withRealDigests(node: unknown, pending: ReadonlyMap<string, pulumi.Output<string>>): unknown {
    if (typeof node === "string") {
        const present = [...pending.keys()].filter((s) => node.includes(s));
        if (present.length === 0) return node;
        return pulumi
            .all(present.map((s) => pending.get(s) as pulumi.Output<string>))
            .apply((digests) => present.reduce((text, s, i) => text.split(s).join(digests[i]), node));
    }
    if (Array.isArray(node)) return node.map((v) => withRealDigests(v, pending));
    if (typeof node === "object" && node !== null && !pulumi.Output.isInstance(node)) {
        return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withRealDigests(v, pending)]));
    }
    return node;
}

/**
 * `pinWorkloads` for a stack whose digests may still be Outputs (dev pins what it builds in the same
 * `up`): the rewrite runs on stand-in digests, and the transform's result carries the real ones, so a
 * preview shows the image as unknown until the build and `up` deploys exactly the digest it pushed.
 */
export function pinStackWorkloads(
    images: Readonly<Record<string, StackPin>>,
    options: PinWorkloadsOptions,
): pulumi.ResourceTransform {
    const plain: Record<string, ImagePin> = {};
    const pending = new Map<string, pulumi.Output<string>>();
    for (const [name, pin] of Object.entries(images)) {
        if (typeof pin.digest === "string") {
            plain[name] = { ...pin, digest: pin.digest };
            continue;
        }
        const standIn = standInDigest(name);
        plain[name] = { ...pin, digest: standIn };
        const digest = pulumi.output(pin.digest);
        // The whole digest first: the change-cause names the short one, which the whole one starts with.
        pending.set(standIn, digest);
        pending.set(shortDigest(standIn), digest.apply(shortDigest));
    }
    const building = Object.keys(images).filter((n) => typeof images[n].digest !== "string");
    const transform = pinWorkloads(plain, { ...options, ...(building.length > 0 ? { building } : {}) });
    if (pending.size === 0) return transform;
    return async (args) => {
        const result = await transform(args);
        if (result === undefined) return undefined;
        return { props: withRealDigests(result.props, pending) as pulumi.Inputs, opts: result.opts };
    };
}
