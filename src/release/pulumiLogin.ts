/** What decides whether the Pulumi CLI can open a project's stacks without asking anything. */
export interface PulumiLoginInput {
    /** PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN, PULUMI_CONFIG_PASSPHRASE, PULUMI_CONFIG_PASSPHRASE_FILE. */
    env: Record<string, string | undefined>;
    /** `backend.url` of the project's Pulumi.yaml. */
    projectBackend?: string;
    /** `pulumi login`'s record (`~/.pulumi/credentials.json`): the current backend and those holding a token. */
    login?: { current?: string; tokens: string[] };
    /** Whether PULUMI_CONFIG_PASSPHRASE_FILE names a file that exists. */
    passphraseFileExists?: boolean;
    /** The stacks about to run, with what their stack file says about their secrets. */
    stacks: { stack: string; file: string; encryptionsalt: boolean; secretsprovider?: string }[];
}

/** A backend Pulumi Cloud (or a self-hosted service) answers: it needs a token, and keeps secrets itself. */
function isService(url: string): boolean {
    return /^https?:\/\//.test(url);
}

/** Why a stack needs a passphrase, or undefined when its secrets are kept by a service or a KMS. */
function passphraseReason(
    s: PulumiLoginInput["stacks"][number],
    backend: string | undefined,
): string | undefined {
    if (s.secretsprovider !== undefined) {
        return s.secretsprovider.startsWith("passphrase")
            ? `secretsprovider: ${s.secretsprovider}`
            : undefined;
    }
    if (s.encryptionsalt) return "encryptionsalt";
    // A new stack on a self-managed backend (file://, s3://, …) is created with passphrase secrets.
    return backend !== undefined && !isService(backend) ? `a new stack on ${backend}` : undefined;
}

/**
 * Every reason the Pulumi CLI would stop to ask (or fail) before `pulumi up`, one line each: no backend
 * (PULUMI_BACKEND_URL, Pulumi.yaml's backend.url or a `pulumi login`), a service backend without a token,
 * and passphrase-encrypted stacks without PULUMI_CONFIG_PASSPHRASE(_FILE). Empty when nothing is missing.
 */
export function pulumiLoginProblems(i: PulumiLoginInput): string[] {
    const problems: string[] = [];
    const backend = i.env.PULUMI_BACKEND_URL || i.projectBackend || i.login?.current;
    if (backend === undefined) {
        problems.push("no Pulumi backend: set PULUMI_BACKEND_URL or run `pulumi login <backend-url>`");
    } else if (
        isService(backend) &&
        !i.env.PULUMI_ACCESS_TOKEN &&
        !(i.login?.tokens ?? []).includes(backend)
    ) {
        problems.push(
            `not logged in to ${backend}: set PULUMI_ACCESS_TOKEN or run \`pulumi login ${backend}\``,
        );
    }
    const file = i.env.PULUMI_CONFIG_PASSPHRASE_FILE;
    if (i.env.PULUMI_CONFIG_PASSPHRASE !== undefined) return problems;
    if (file !== undefined && file !== "" && i.passphraseFileExists !== true) {
        problems.push(`PULUMI_CONFIG_PASSPHRASE_FILE=${file}: no such file`);
        return problems;
    }
    if (file !== undefined && file !== "") return problems;
    const needing = i.stacks.flatMap((s) => {
        const why = passphraseReason(s, backend);
        return why === undefined ? [] : [`"${s.stack}" (${s.file}: ${why})`];
    });
    if (needing.length > 0) {
        problems.push(
            `no passphrase for the secrets of stack ${needing.join(", ")}: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE`,
        );
    }
    return problems;
}
