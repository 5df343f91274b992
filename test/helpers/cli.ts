import { execFile } from "child_process";
import * as net from "net";
import * as path from "path";
import { run } from "../../src/cli";
import { CliDeps } from "../../src/flows";

const BIN = path.join(__dirname, "..", "..", "bin", "image-release.js");

export interface CliRun {
    code: number;
    stdout: string;
    stderr: string;
}

/** The installed binary in a child process, as a user runs it: its own registry client and no TTY. */
export function runCli(args: string[], options: { cwd?: string } = {}): Promise<CliRun> {
    return new Promise((resolve) => {
        execFile("node", [BIN, ...args], options, (err, stdout, stderr) =>
            resolve({ code: err ? (err.code as number) : 0, stdout, stderr }),
        );
    });
}

/** `run` in this process with the test's registry client: stdout and stderr kept apart. */
export async function runIn(args: string[], deps?: CliDeps): Promise<CliRun> {
    let stdout = "";
    let stderr = "";
    const code = await run(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) }, deps);
    return { code, stdout, stderr };
}

/** A port nothing listens on: a registry there is unreachable. */
export async function closedPort(): Promise<number> {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    return port;
}
