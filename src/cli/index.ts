export { cliProgram, run } from "./main";
export type { CommandContext, Io } from "./context";
