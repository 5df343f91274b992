import * as pulumi from "@pulumi/pulumi";
import { Refusal } from "../flows";
import { DirtyTreeError } from "../release";
import { StackConfigError } from "../stackconfig";

/*
 * Errors the engine prints by their message alone, and never formats a stack for.
 *
 * @pulumi/pulumi formats every error a program fails with through `util.inspect(err, { colors: true })`
 * (for its trace span, even a RunError's), and Node 20.20's inspect loops on a stack frame that
 * source-map-support maps into `node_modules/@pulumi/<file>.ts` (no package directory after the scope)
 * until the string passes V8's limit: 15-45 s of CPU and about 3 GB of memory for every failing
 * `pulumi preview`, before the user sees the refusal. An error without a stack skips the inspect.
 */

/** `e`, with no stack for the engine to format. */
export function messageOnly<E extends Error>(e: E): E {
    Object.defineProperty(e, "stack", { value: "", writable: true, configurable: true });
    return e;
}

/**
 * What the program fails with: a refusal of the stack's own config (a pin, a dirty build context) as its
 * message alone; anything else (a bug of ours or of a dependency) with its stack as the message's text,
 * so nothing of it is lost.
 */
export function programError(e: unknown): pulumi.RunError {
    if (e instanceof pulumi.RunError) return messageOnly(e);
    if (e instanceof StackConfigError || e instanceof DirtyTreeError || e instanceof Refusal) {
        return messageOnly(new pulumi.RunError(e.message));
    }
    const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
    return messageOnly(new pulumi.RunError(text));
}

/** A component's refusal of its resource, printed as its message alone. */
export function resourceRefusal(message: string, resource: pulumi.Resource): pulumi.ResourceError {
    return messageOnly(new pulumi.ResourceError(message, resource, true));
}
