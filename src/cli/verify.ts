import { verify } from "../flows";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { renderVerify } from "./output";

export interface VerifyFlags extends CommonOptions {
    version?: string;
}

/** `--version` itself is checked by the verify flow (a semver X.Y.Z), which words the refusal. */
export const verifyCommand = defineCommand<VerifyFlags, Awaited<ReturnType<typeof verify>>>({
    name: "verify",
    description: "check tags and pins",
    flags: (cmd) => cmd.option("--version <v>", "check only this version's tags (default: every X.Y.Z tag)"),
    run: (o, deps) =>
        verify({ ...stackDirs(o), ...(o.version !== undefined ? { version: o.version } : {}) }, deps),
    render: (r) => renderVerify(r),
    // Exit code 1 when there is any finding: every finding is printed first.
    exitCode: (r) => (r.ok ? 0 : 1),
});
