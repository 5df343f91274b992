import { CliDeps } from "../flows";

/** Where a command writes: stdout and stderr in the binary, strings in tests. */
export interface Io {
    out: (s: string) => void;
    err: (s: string) => void;
    /** stderr when it is a terminal: live progress is drawn there (src/cli/progress.ts). */
    tty?: LiveTerminal;
}

/** A terminal that takes cursor movement (written raw), with its width. */
export interface LiveTerminal {
    write(s: string): void;
    columns?: number;
}

/** What every command runs with: its output and the registry client of the flows. */
export interface CommandContext {
    io: Io;
    /** The flows' registry client; when absent, each command makes its own from its flags (--deadline). */
    deps?: CliDeps;
    /** The exit code of a command that completed: 1 when it reports findings or per-stack errors. */
    exitCode: number;
}

/** The result as pretty JSON with `--json`, else the human text; stdout holds only the result. */
export function emit(io: Io, json: boolean, value: unknown, human: string): void {
    io.out(json ? JSON.stringify(value, null, 2) + "\n" : human);
}
