import { history } from "../flows";
import { defineCommand } from "./action";
import { CommonOptions, stackDirs } from "./commonOptions";
import { renderHistory } from "./output";

export interface HistoryFlags extends CommonOptions {
    stack: string;
}

export const historyCommand = defineCommand<HistoryFlags, Awaited<ReturnType<typeof history>>>({
    name: "history",
    description: "every digest a stack ran, from git",
    flags: (cmd) => cmd.requiredOption("--stack <stack>", "stack whose stack file's git history is read"),
    nonEmpty: (o) => ({ "--stack": o.stack }),
    run: (o) => history({ ...stackDirs(o), stack: o.stack }),
    render: (r) => renderHistory(r),
});
