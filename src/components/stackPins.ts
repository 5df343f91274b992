import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ImagePin, workloadOf } from "../release";
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
 * Every workload also waits for `before` (the namespace's admission policy), also those a Helm chart or
 * YAML creates, whose own options the program cannot set.
 */
export function pinStackWorkloads(
    images: Readonly<Record<string, StackPin>>,
    options: PinWorkloadsOptions,
    before: readonly pulumi.Resource[] = [],
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
    return async (args) => {
        const result = await transform(args);
        const props =
            result === undefined ? undefined : (withRealDigests(result.props, pending) as pulumi.Inputs);
        // `before` is read when a workload registers (the program fills it after registering this).
        if (before.length === 0 || workloadOf(args.type) === undefined) {
            return props === undefined ? undefined : { props, opts: args.opts };
        }
        return {
            props: props ?? args.props,
            opts: { ...args.opts, dependsOn: withDependencies(args.opts.dependsOn, before) },
        };
    };
}

/** `dependsOn` as given, and `more` after it. */
function withDependencies(
    given: pulumi.ResourceOptions["dependsOn"],
    more: readonly pulumi.Resource[],
): pulumi.Input<pulumi.Input<pulumi.Resource>[]> {
    if (given === undefined) return [...more];
    if (Array.isArray(given)) return [...given, ...more];
    return pulumi
        .output(given as pulumi.Input<pulumi.Resource | pulumi.Input<pulumi.Resource>[]>)
        .apply((g) => [...(Array.isArray(g) ? g : [g]), ...more]);
}
