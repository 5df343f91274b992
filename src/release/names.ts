import { parseReference } from "./reference";

/**
 * What a stack name may look like: it becomes part of the file name `Pulumi.<stack>.yaml`, of branch
 * names and of printed commands, and a release record names its source stack with it.
 */
export const STACK_NAME = /^[a-z][a-z0-9-]*$/;

export function isStackName(s: string): boolean {
    return STACK_NAME.test(s);
}

/**
 * Why `value` is not a bare repository (a reference without tag or digest, in lowercase), or
 * `undefined` when it is one: the stack file's repositories and a release record's repository obey it.
 */
export function repositoryProblem(value: string): string | undefined {
    try {
        const ref = parseReference(value);
        if (ref.tag !== undefined || ref.digest !== undefined) {
            return "must be a repository without a tag or digest";
        }
        return value === value.toLowerCase() ? undefined : "must be lowercase";
    } catch (e) {
        return (e as Error).message.replace(/^invalid reference "[^"]*": /, "");
    }
}
