import * as path from "path";
import { Refusal } from "./refusal";

/** The one folder, under the repository root, that image-release writes in: notes, outputs, PR bodies. */
export const TOOL_DIR = ".image-release";

/**
 * `.image-release/<parts>`, relative to the repository root, with `/` separators. A part may hold folders
 * (a branch `promote/staging-…`), but the result must stay inside the folder: a version `../../x`, an
 * absolute path or a branch with `..` segments is refused, named as given, before anything is written.
 */
export function toolFile(...parts: string[]): string {
    const file = path.posix.join(TOOL_DIR, ...parts);
    if (
        parts.some((p) => path.isAbsolute(p) || path.posix.isAbsolute(p)) ||
        !file.startsWith(`${TOOL_DIR}/`)
    ) {
        throw new Refusal(
            `refusing to write "${[TOOL_DIR, ...parts].join("/")}": it is outside ${TOOL_DIR}/, the one folder image-release writes in`,
        );
    }
    return file;
}

/** The absolute path of {@link toolFile} in the repository at `repoRoot`. */
export function toolPath(repoRoot: string, ...parts: string[]): string {
    return path.join(repoRoot, toolFile(...parts));
}
