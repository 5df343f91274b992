import { Command } from "commander";

/** The flags `promote` and `rollback` share: how far the pin change goes. */
export interface PinFlags {
    dryRun?: true;
    retag?: true;
    git?: true;
}

export function addPinFlags(cmd: Command): Command {
    return cmd
        .option("--dry-run", "print the diff of the stack file, write nothing")
        .option("--retag", "also move the target stack's channel tag in the registry")
        .option("--git", "commit the change on a new branch and write the pull request text");
}

export function pinOptions(o: PinFlags): { dryRun: boolean; retag: boolean; git: boolean } {
    return { dryRun: o.dryRun === true, retag: o.retag === true, git: o.git === true };
}
