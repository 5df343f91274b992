export { Refusal, UsageRefusal } from "./refusal";
export { CliDeps, digestPrefix } from "./context";
export { StackHistoryEntry, stackFileHistory, distinctDigests } from "../stackconfig";
export { applyPin, PinChange, PinOptions, PinResult } from "./pin";
export {
    checkRanInSource,
    promote,
    PromoteDeps,
    PromoteOptions,
    PromoteResult,
    RanEvidence,
} from "./promote";
export {
    pulumiStackOutput,
    readSourceRecord,
    SourceRecord,
    stackOutputCommand,
    StackOutputFn,
} from "./stackOutputs";
export { rollback, pickRollbackTarget, RollbackOptions, RollbackResult } from "./rollback";
export { pickRollbackCombination, SetRollbackTarget } from "./rollbackSet";
export { MovedImage } from "./setPin";
export { Combination, sameMembers } from "./setMembers";
export { status, StackStatus, StatusOptions } from "./status";
export { mapLimit } from "./limit";
export { history, HistoryOptions } from "./history";
export { tags, TagsOptions } from "./tags";
export { notes, notesForDigest, renderNotes, DigestNotesOptions, NotesOptions, ReleaseNotes } from "./notes";
export { verify, VerifyOptions, VerifyResult } from "./verify";
export {
    loadStack,
    loadStackSnapshot,
    outputsDir,
    outputsFile,
    readOutputs,
    readSetOutputs,
    setOutputsFile,
    StackOptions,
} from "./stack";
export { TOOL_DIR, toolFile, toolPath } from "./toolPath";
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
export { digestNotes, PinNotesFn, PinNotesQuery, pinTags, pullRequestNotes } from "./pinNotes";
export { PullRequestInput, PullRequestText, pullRequestText } from "./pullRequest";
export { release, RELEASE_DEFAULTS, ReleaseOptions, ReleaseDeps, ReleaseResult } from "./release";
export {
    buildPushSign,
    provenanceDockerfile,
    provenanceInput,
    BuildPushSignDeps,
    BuildPushSignOptions,
    BuiltImage,
    PublishFn,
} from "./buildPushSign";
export { releaseSet, ReleaseSetOptions, ReleaseSetResult, SetImageRelease } from "./releaseSet";
export { check, CheckDeps, CheckOptions, CheckOutcome, CheckResult, failedChecks, soakLine } from "./check";
export { clusterUid, RecordedEvidence, recordVerification, signRejection } from "./evidence";
export { reject, RejectOptions, RejectResult } from "./reject";
export { AutoRollback, rollbackAfterFailure } from "./autoRollback";
export {
    automationDeployed,
    automationPreview,
    automationUp,
    DeployedFn,
    PreviewFn,
    UpFn,
} from "./automation";
export { previewVerification, ranBefore } from "./previewGate";
export { GateMember, GateOptions, refuseRejected, verificationGate, verifierKeys } from "./verification";
export { REJECTION_LOOKBACK, RejectedPin, rejectedPins } from "./rejectedPins";
export { kubectlCli, KubectlFn } from "./clusterState";
export { rolloutProblems } from "./rolloutCheck";
export { ApiGetFn, httpProblem, HttpAnswer, proxyPath, stackApiGet } from "./httpCheck";
export { deploy, DeployDeps, DeployOptions, DeployResult } from "./deploy";
export { DeployedStack, DeployOutcome, pinsText, previewText } from "./deployStack";
export { refuseMissingLogin } from "./pulumiLogin";
export { recordBuild, registryBuildMemory } from "./buildMemory";
export {
    DEFAULT_KEEP_HISTORY,
    gc,
    GcOptions,
    gcProblems,
    GcResult,
    mayGoLines,
    olderThanProblem,
} from "./gc";
export { RetentionDeps } from "./retentionInputs";
export {
    propose,
    Proposal,
    ProposalOutcome,
    ProposeDeps,
    ProposeOptions,
    ProposeResult,
} from "./propose";
