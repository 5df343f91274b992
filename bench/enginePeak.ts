import { execFileSync } from "child_process";
import * as fs from "fs";

/*
 * The docker engine's own peak RSS over one step. Our release and the naive docker pipeline both have
 * dockerd (with its embedded BuildKit) do the build and hold the image; their client processes alone
 * would hide that. Linux keeps a process's high-water mark (VmHWM); writing 5 to its clear_refs
 * resets it (root only), so the mark read after a step is that step's peak. The engine is shared:
 * whatever else used it during the step counts too.
 */

export interface EnginePeak {
    /** Resets the engine's high-water mark; false when it cannot (not root, no single dockerd). */
    reset(): boolean;
    /** The engine's peak RSS in bytes since the last reset, when it could be reset. */
    peak(): number | undefined;
}

function dockerdPid(): number | undefined {
    try {
        const pids = execFileSync("pgrep", ["-x", "dockerd"], { encoding: "utf8" }).trim().split("\n");
        return pids.length === 1 ? Number(pids[0]) : undefined;
    } catch {
        return undefined;
    }
}

export function enginePeak(): EnginePeak {
    const pid = dockerdPid();
    let armed = false;
    return {
        reset: () => {
            if (pid === undefined) return false;
            try {
                fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
                armed = true;
            } catch {
                armed = false;
            }
            return armed;
        },
        peak: () => {
            if (!armed || pid === undefined) return undefined;
            const kib = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
            return kib === undefined ? undefined : Number(kib) * 1024;
        },
    };
}
