export { Refusal, UsageRefusal } from "./refusal";
export { CliDeps, digestPrefix, StackOptions, loadStack, readOutputs, outputsFile } from "./context";
export { StackHistoryEntry, stackFileHistory, distinctDigests } from "./gitHistory";
export { applyPin, PinChange, PinOptions, PinResult } from "./pin";
export { checkRanInSource, promote, PromoteOptions, PromoteResult, RanEvidence } from "./promote";
export { rollback, pickRollbackTarget, RollbackOptions, RollbackResult } from "./rollback";
export { status, mapLimit, StackStatus, StatusOptions } from "./status";
export { history, HistoryOptions } from "./history";
export { tags, TagsOptions } from "./tags";
export { notes, renderNotes, NotesOptions, ReleaseNotes } from "./notes";
export { verify, VerifyOptions, VerifyResult } from "./verify";
export { release, RELEASE_DEFAULTS, PublishFn, ReleaseOptions, ReleaseDeps, ReleaseResult } from "./release";
export { loadStackSnapshot, outputsDir } from "./stack";
export {
    checkPin,
    PinCheckOptions,
    PinRefusal,
    pullSources,
    SignatureRule,
    signedEvidence,
    stackPinCheck,
    VerifiedPin,
} from "./pinCheck";
export { PinDeps } from "./pin";
export { PinNotesFn, PinNotesQuery, pullRequestNotes, versionNotes } from "./pinNotes";
export { PullRequestInput, PullRequestText, pullRequestText } from "./pullRequest";
