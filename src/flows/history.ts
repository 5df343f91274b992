import { CliDeps } from "./context";
import { loadStack, StackOptions } from "./stack";
import { StackHistoryEntry, stackFileHistory } from "../stackconfig";

export interface HistoryOptions extends StackOptions {
    stack: string;
}

/** Only commits that pinned a digest (any image of a set): the list answers "what did this stack run". */
export async function history(o: HistoryOptions, _deps?: CliDeps): Promise<StackHistoryEntry[]> {
    const s = loadStack(o, o.stack);
    return stackFileHistory(o.repoRoot, s.file).filter(
        (e) => e.digest !== undefined || Object.values(e.images ?? {}).some((i) => i.digest !== undefined),
    );
}
