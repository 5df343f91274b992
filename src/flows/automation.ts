import { Refusal } from "./refusal";

/** Runs `pulumi up` for a stack of the project in `workDir`, as the checkout now is. */
export type UpFn = (stack: string, workDir: string) => Promise<void>;

/** `pulumi preview` of a stack: how many resources each operation would touch (`same` included). */
export type PreviewFn = (stack: string, workDir: string) => Promise<Record<string, number>>;

/**
 * The digest each image of the stack last deployed (its `releases` output, by image name), or undefined
 * when the stack was never deployed or exports no `releases`.
 */
export type DeployedFn = (stack: string, workDir: string) => Promise<Record<string, string> | undefined>;

/** The Automation API, imported here: the CLI's other commands never load it. */
async function workspace() {
    return import("@pulumi/pulumi/automation");
}

/** The default UpFn: the Automation API, with the environment's backend and passphrase. */
export const automationUp: UpFn = async (stack, workDir) => {
    const { LocalWorkspace } = await workspace();
    const s = await LocalWorkspace.createOrSelectStack({ stackName: stack, workDir });
    await s.up({ onOutput: (out) => process.stderr.write(out) });
};

/** The default PreviewFn: `preview` through the Automation API; its progress goes to stderr. */
export const automationPreview: PreviewFn = async (stack, workDir) => {
    const { LocalWorkspace } = await workspace();
    const s = await LocalWorkspace.createOrSelectStack({ stackName: stack, workDir });
    const r = await s.preview({ onOutput: (out) => process.stderr.write(out) });
    return Object.fromEntries(Object.entries(r.changeSummary).map(([op, n]) => [op, n ?? 0]));
};

/** The default DeployedFn: the stack's outputs through the Automation API; no such stack is undefined. */
export const automationDeployed: DeployedFn = async (stack, workDir) => {
    const { LocalWorkspace, StackNotFoundError } = await workspace();
    let outputs: Record<string, { value?: unknown }>;
    try {
        outputs = await (await LocalWorkspace.selectStack({ stackName: stack, workDir })).outputs();
    } catch (e) {
        if (e instanceof StackNotFoundError) return undefined;
        throw new Refusal(
            `stack "${stack}": reading its outputs failed: ${(e as Error).message.split("\n")[0]}`,
        );
    }
    const releases = outputs.releases?.value;
    if (typeof releases !== "object" || releases === null) return undefined;
    const out: Record<string, string> = {};
    for (const [name, record] of Object.entries(releases as Record<string, { digest?: unknown }>)) {
        if (typeof record?.digest === "string") out[name] = record.digest;
    }
    return out;
};
