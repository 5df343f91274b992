// The stack-file history reader lives with the stack file (src/stackconfig/history.ts), where the key
// table says which fields a pin has; the flows keep importing it from here.
export { distinctDigests, StackHistoryEntry, stackFileHistory } from "../stackconfig";
