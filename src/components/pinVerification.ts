import * as pulumi from "@pulumi/pulumi";
import { checkPin, PinRefusal, pullSources, VerifiedPin } from "../flows";
import { resourceRefusal } from "./engineErrors";
import {
    ImageDescription,
    normalizePlatform,
    RegistryClient,
    RegistryDeadlineError,
    RegistryUnavailableError,
    VERIFY_CLIENT_OPTIONS,
} from "../registry";

export { VERIFY_CLIENT_OPTIONS };

/**
 * How a refused registry check reads for PinnedDeployment `name` (or for `subject`, the stack file's
 * key, when the stack checks its pin): the registry's exact error, and for an unreachable registry how
 * to preview without one.
 */
export function verificationFailure(
    name: string,
    err: unknown,
    subject = `PinnedDeployment "${name}"`,
): string {
    const reason = err instanceof PinRefusal ? err.reason : err;
    const detail = reason instanceof Error ? reason.message : String(reason);
    const hint =
        reason instanceof RegistryUnavailableError || reason instanceof RegistryDeadlineError
            ? " (set verifyDigest: false, image-release:verifyDigest in the stack file, to preview without a registry)"
            : "";
    return `${subject}: digest verification failed: ${detail}${hint}`;
}

/** Platform -> manifest digest, in the index's order. */
export function platformDigestsOf(d: Pick<ImageDescription, "platforms">): Record<string, string> {
    return Object.fromEntries(d.platforms.map((p) => [p.platform, p.digest]));
}

/** The resolved args the registry check needs. */
export interface PinToVerify {
    repository: string;
    digest: string;
    platforms: string[];
    sourceRepository?: string;
}

/** Why `pin` does not vouch for the component's image, if it does not. */
export function pinMismatch(c: PinToVerify, pin: VerifiedPin): string | undefined {
    if (pin.digest !== c.digest) return `it is for digest ${pin.digest}`;
    const sources = pullSources(c);
    if (!sources.includes(pin.repository)) {
        return `it was verified in ${pin.repository}, not in ${sources.join(" or ")}`;
    }
    const present = pin.description.platforms.map((p) => p.platform);
    const missing = c.platforms.filter((p) => !present.includes(normalizePlatform(p)));
    if (missing.length > 0) return `it lacks platform(s) ${missing.join(", ")} (has ${present.join(", ")})`;
    return undefined;
}

/**
 * The component's registry check: the pin check its caller already ran (the program runs it once, with
 * the stack's signature rule, before any resource), or else the pin check itself, which needs no
 * signature here (the component records a signer, it never reads one). A given pin that is not this
 * image's (another digest, repository or platforms) is refused: it would vouch for other bytes.
 */
export async function verifyPin(
    c: PinToVerify,
    given: { pin?: VerifiedPin; client?: Pick<RegistryClient, "verify"> },
    name: string,
    resource: pulumi.Resource,
): Promise<VerifiedPin> {
    if (given.pin !== undefined) {
        const why = pinMismatch(c, given.pin);
        if (why === undefined) return given.pin;
        throw resourceRefusal(
            `PinnedDeployment "${name}": verifiedPin does not vouch for ${c.repository}@${c.digest}: ${why}`,
            resource,
        );
    }
    const client = given.client ?? new RegistryClient(VERIFY_CLIENT_OPTIONS);
    try {
        // Not copied yet: the source's bytes are what the copy will put there, byte for byte.
        return await checkPin(
            { digest: c.digest, repositories: pullSources(c), platforms: c.platforms },
            { client },
        );
    } catch (err) {
        throw resourceRefusal(verificationFailure(name, err), resource);
    }
}
