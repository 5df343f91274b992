import * as path from "path";
import {
    parseStackFileText,
    pinsOfConfig,
    PlannedStack,
    PlanPin,
    stackFileHistory,
    textAt,
    ZERO_SHA,
} from "../stackconfig";
import { automationDeployed, automationPreview, DeployedFn, PreviewFn } from "./automation";
import type { CheckResult } from "./check";
import { digestPrefix } from "./context";

/** What deploy did with one stack the range changed. */
export type DeployOutcome = "deployed" | "failed" | "skipped" | "would deploy" | "not deployed";

/** One stack of a deploy: what the merge changed in it, and what deploy did. */
export interface DeployedStack {
    stack: string;
    /** The stack file, relative to the project root. */
    file: string;
    change: PlannedStack["change"];
    /** `promotion` (new pins), `rollback` (pins the stack ran before the range), `config`, or `comments` only. */
    kind: "promotion" | "rollback" | "config" | "comments";
    /** The pins at the range's end, by image. */
    pins: PlanPin[];
    pinKeys: string[];
    configKeys: string[];
    outcome: DeployOutcome;
    /** One line: why it was skipped, what ran, or why it failed. */
    reason: string;
    /** `pulumi preview`'s count of resources per operation, when deploy ran one. */
    preview?: Record<string, number>;
    /** The checks after `pulumi up` (and the automatic rollback, when they failed). */
    check?: CheckResult;
}

/** What one stack's decision reads: the range, the ref whose pins are the truth, and the backend. */
export interface DecideContext {
    repoRoot: string;
    from: string;
    main: { ref: string; commit: string };
    preview: PreviewFn;
    deployed: DeployedFn;
}

export function decideDefaults(d: { preview?: PreviewFn; deployed?: DeployedFn }) {
    return { preview: d.preview ?? automationPreview, deployed: d.deployed ?? automationDeployed };
}

/** `hello 1.5.0 sha256:0123456789ab` per image, for the lines deploy prints. */
export function pinsText(pins: PlanPin[]): string {
    if (pins.length === 0) return "no pin";
    return pins.map((p) => `${p.image} ${p.version ?? "-"} ${digestPrefix(p.digest)}`).join(", ");
}

function samePins(a: PlanPin[], b: PlanPin[]): boolean {
    const key = (pins: PlanPin[]) => pins.map((p) => `${p.image}@${p.digest ?? ""}`).join(" ");
    return key(a) === key(b);
}

/** Every digest the stack file pinned up to the range's start: a pin among them comes back by rollback. */
function digestsBefore(repoRoot: string, file: string, from: string): Set<string> {
    if (from === ZERO_SHA) return new Set();
    const entries = stackFileHistory(repoRoot, path.join(repoRoot, file), from);
    return new Set(
        entries.flatMap((e) => [
            ...(e.digest !== undefined ? [e.digest] : []),
            ...Object.values(e.images ?? {}).flatMap((i) => (i.digest !== undefined ? [i.digest] : [])),
        ]),
    );
}

function kindOf(repoRoot: string, from: string, s: PlannedStack): DeployedStack["kind"] {
    if (s.keys.other.length > 0) return "config";
    if (s.keys.pin.length === 0) return "comments";
    const ran = digestsBefore(repoRoot, s.file, from);
    const before = new Set(s.pinsBefore.map((p) => p.digest));
    const moved = s.pins.filter((p) => p.digest !== undefined && !before.has(p.digest));
    return moved.length > 0 && moved.every((p) => ran.has(p.digest as string)) ? "rollback" : "promotion";
}

/** The stack as the plan has it, before deploy decides anything. */
export function stackEntry(ctx: DecideContext, s: PlannedStack): DeployedStack {
    return {
        stack: s.stack,
        file: s.file,
        change: s.change,
        kind: kindOf(ctx.repoRoot, ctx.from, s),
        pins: s.pins,
        pinKeys: s.keys.pin,
        configKeys: s.keys.other,
        outcome: "skipped",
        reason: "",
    };
}

/** The pins `main` holds in the stack file (undefined: main has no such file). */
function pinsOnMain(ctx: DecideContext, file: string): PlanPin[] | undefined {
    const text = textAt(ctx.repoRoot, ctx.main.commit, file);
    return text === undefined ? undefined : pinsOfConfig(parseStackFileText(file, text).config);
}

/** A preview that would change nothing: every resource the same. */
function changesNothing(preview: Record<string, number>): boolean {
    return Object.entries(preview).every(([op, n]) => op === "same" || n === 0);
}

/** `1 update, 4 same` from a preview's count per operation. */
export function previewText(preview: Record<string, number>): string {
    const ops = Object.entries(preview).filter(([, n]) => n > 0);
    return ops.length === 0 ? "no resources" : ops.map(([op, n]) => `${n} ${op}`).join(", ");
}

/**
 * Whether deploy leaves the stack alone, and why; undefined when it goes ahead (with the preview it ran,
 * if any). Nothing here changes anything: a merge that does not change what runs (its second run, a
 * rollback whose pin the automatic rollback already runs) and a pin a later merge replaced are skipped.
 */
export async function skipReason(
    ctx: DecideContext,
    s: PlannedStack,
    entry: DeployedStack,
): Promise<{ skip?: string; preview?: Record<string, number> }> {
    if (s.change === "deleted") {
        return {
            skip: `its stack file was deleted; deploy never destroys a stack (pulumi destroy --stack ${s.stack})`,
        };
    }
    if (entry.kind === "comments") return { skip: "only comments or formatting changed; nothing to deploy" };
    const onMain = pinsOnMain(ctx, s.file);
    if (onMain === undefined || !samePins(onMain, s.pins)) {
        const now = onMain === undefined ? "no stack file" : pinsText(onMain);
        return {
            skip: `${ctx.main.ref} no longer holds this pin: a later merge changed it (${ctx.main.ref} has ${now}); that merge's deploy runs it`,
        };
    }
    const deployed = await ctx.deployed(s.stack, ctx.repoRoot);
    const runs = deployed !== undefined && samePins(pinsFrom(deployed), s.pins);
    if (runs && entry.kind !== "config") {
        const why =
            entry.kind === "rollback"
                ? " (rolled back before this merge, e.g. by check --on-failure rollback: its PR merged)"
                : "";
        return { skip: `already runs ${pinsText(s.pins)}${why}; nothing to deploy` };
    }
    if (!runs) return {};
    // The pins run; the config beside them may not: a preview says whether anything would change.
    const preview = await ctx.preview(s.stack, ctx.repoRoot);
    return changesNothing(preview)
        ? { skip: `already runs ${pinsText(s.pins)} and its preview changes nothing`, preview }
        : { preview };
}

function pinsFrom(deployed: Record<string, string>): PlanPin[] {
    return Object.keys(deployed)
        .sort()
        .map((image) => ({ image, digest: deployed[image] }));
}
