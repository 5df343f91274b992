export {
    PinnedImage,
    PROJECT,
    PullCredentialConfig,
    rfc1123LabelProblem,
    SIGNED_BY_DEFAULT,
    StackConfigError,
    StackImageConfig,
    TrainingConfig,
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
export { ChecksConfig, HttpCheck, JobCheck, ROLLOUT_DEFAULTS, RolloutCheck } from "./checks";
