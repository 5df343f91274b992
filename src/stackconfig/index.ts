export {
    PinnedImage,
    PROJECT,
    PullCredentialConfig,
    rfc1123LabelProblem,
    SIGNED_BY_DEFAULT,
    StackConfigError,
    StackImageConfig,
    TrainingConfig,
    VERIFIED_BY_DEFAULT,
} from "./model";
export { STACK_NAME } from "../release";
export { KEY_TABLE, PIN_FIELDS, PinField } from "./keys";
export { KeyRow } from "./rows";
export { validateStackConfig, ValidateOptions } from "./validate";
export { readsAsNumber } from "./engineYaml";
export { singleImageName } from "./images";
export { DeployablePin, deployablePins, imageKeyLabel, Pin, pinEdits, pinTarget } from "./pin";
export {
    listStacks,
    parseStackConfigText,
    parseStackFileText,
    readStackConfig,
    readStackSnapshot,
    stackFile,
    validateEngineStackConfig,
} from "./read";
export { editStackText, isPlainSafe, StackEdits } from "./edit";
export { readStackFile, sha256Text, StackFileSnapshot, writeStackFile, WriteOptions } from "./write";
export { unifiedDiff } from "./diff";
export {
    distinctDigests,
    HistoryImage,
    historyProblem,
    StackHistoryEntry,
    stackFileHistory,
} from "./history";
export { KeyChanges, stackKeyChanges } from "./keyChanges";
export { promotesFrom, promotionOrder, PromotionTree } from "./promotionOrder";
export {
    CommitRangeError,
    readStackRange,
    resolveCommit,
    StackFileChange,
    StackRange,
    textAt,
    ZERO_SHA,
} from "./commitRange";
export { DeployPlan, deployPlan, PlannedStack, PlanPin, pinsOfConfig } from "./deployPlan";
export { ChecksConfig, HttpCheck, JobCheck, ROLLOUT_DEFAULTS, RolloutCheck } from "./checks";
