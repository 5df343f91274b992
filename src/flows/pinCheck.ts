import { ImageDescription, RegistryClient, verifyFirstHolder } from "../registry";
import { requiredSignature, SignaturePolicy, VerifiedSignature } from "../signing";
import { StackImageConfig } from "../stackconfig";
import { code, Markdown, md, shellCommand } from "../release";
import { Refusal } from "./refusal";

/** A stack's signature rule and the directory its key paths are relative to (the project root). */
export interface SignatureRule {
    policy: SignaturePolicy;
    root: string;
}

/** What a pin must satisfy before a stack may run it. */
export interface PinCheckOptions {
    digest: string;
    /**
     * The repositories that may hold the digest, in order: the first that does is where it is verified
     * and where its signature is read. For a stack, where it pulls the pin from (`pullSources`).
     */
    repositories: string[];
    /** The platforms the stack runs: the digest must be an index (or manifest) that covers each. */
    platforms: string[];
    /** The stack's signature rule; undefined checks no signature (a component on its own records none). */
    signature?: SignatureRule;
}

/** A pin the check accepted, with what the registry answered. */
export interface VerifiedPin {
    digest: string;
    /** The one of `repositories` that holds the digest: where it was verified and its signature read. */
    repository: string;
    /** The registry's answer: the index, and the manifest digest of each platform. */
    description: ImageDescription;
    /** The signature a trusted key made, when the stack requires one. */
    signature?: VerifiedSignature;
}

/**
 * The pin check's refusal: which step refused, and the error that says why, whose message it carries
 * unchanged. Each face frames it: the CLI prints it, the program and PinnedDeployment name the component.
 */
export class PinRefusal extends Refusal {
    constructor(
        public readonly step: "registry" | "signature",
        public readonly reason: Error,
    ) {
        super(reason.message);
        this.name = "PinRefusal";
    }
}

/** Where a stack pulls its pin from: its repository, or its sourceRepository until `up` copies it there. */
export function pullSources(s: { repository: string; sourceRepository?: string }): string[] {
    return s.sourceRepository !== undefined ? [s.repository, s.sourceRepository] : [s.repository];
}

/**
 * The pin check of `stack` for `digest`: the stack's platforms and signature rule, with the digest looked
 * for in `repositories` (default: where the stack pulls it). Key paths are relative to `root`.
 */
export function stackPinCheck(
    stack: StackImageConfig,
    digest: string,
    root: string,
    repositories: string[] = pullSources(stack),
): PinCheckOptions & { signature: SignatureRule } {
    return { digest, repositories, platforms: stack.platforms, signature: { policy: stack, root } };
}

async function step<T>(name: PinRefusal["step"], run: () => Promise<T>): Promise<T> {
    try {
        return await run();
    } catch (e) {
        throw new PinRefusal(name, e instanceof Error ? e : new Error(String(e)));
    }
}

/**
 * The one pin check, for promote, rollback, the program and PinnedDeployment: the digest exists in the
 * first of `repositories` that holds it (one that lacks it is passed over, any other refusal stops at
 * once), covers the platforms, and, when the stack requires it, is signed there by a trusted key.
 * Reading signatures needs a whole client; verifying alone needs only `verify`.
 */
export function checkPin(o: PinCheckOptions, deps: { client: RegistryClient }): Promise<VerifiedPin>;
export function checkPin(
    o: PinCheckOptions & { signature?: undefined },
    deps: { client: Pick<RegistryClient, "verify"> },
): Promise<VerifiedPin>;
export async function checkPin(
    o: PinCheckOptions,
    deps: { client: Pick<RegistryClient, "verify"> },
): Promise<VerifiedPin> {
    const refs = o.repositories.map((r) => `${r}@${o.digest}`);
    const rule = o.signature;
    // The overloads hand a whole client to every call that gives a signature rule.
    const client = deps.client as RegistryClient;
    // The signature lives beside the image, in the repository the digest is found in. With one
    // repository that is known already, so its reads go out with the image's; the image's refusal still
    // comes first, and the signature counts only for an image the registry holds.
    const signatureIn = (r: SignatureRule, repository: string) =>
        step("signature", () => requiredSignature(client, r.policy, r.root, repository, o.digest));
    const early =
        rule !== undefined && o.repositories.length === 1 ? signatureIn(rule, o.repositories[0]) : undefined;
    early?.catch(() => undefined);
    const held = await step("registry", () => verifyFirstHolder(deps.client, refs, o.platforms));
    const pin: VerifiedPin = {
        digest: o.digest,
        repository: o.repositories[held.index],
        description: held.description,
    };
    if (rule === undefined) return pin;
    const signature = await (early ?? signatureIn(rule, pin.repository));
    return signature ? { ...pin, signature } : pin;
}

/** The PR's evidence line for a verified signature. */
export function signedEvidence(s: VerifiedSignature): Markdown {
    const command = shellCommand(["cosign", "verify", "--key", s.keySource]);
    return md`signed by trusted key ${s.keyId} (${s.keySource}); ${code(command)} accepts it`;
}
