import { StackEdits } from "./edit";
import { KEY_TABLE, PIN_FIELDS, PinField, rowOf } from "./keys";
import { PinnedImage, PROJECT, StackConfigError, StackImageConfig } from "./model";
import { KeyRow } from "./rows";

/** What promote and rollback write for one image: a digest and what is known about it. */
export type Pin = { digest: string } & { [K in Exclude<PinField, "digest">]?: string };

/** A pinned image as the program deploys it: the tags and labels need its version and git sha. */
export interface DeployablePin extends PinnedImage {
    name: string;
    digest: string;
    version: string;
    gitSha: string;
}

/** The keys a deployed pin needs besides its digest (table order). */
const DEPLOY_REQUIRED = (KEY_TABLE as readonly KeyRow[])
    .filter((r) => r.deploy === "required")
    .map((r) => r.key);

/** How a message names an image's key: the single-image key, or its path in the set. */
export function imageKeyLabel(cfg: StackImageConfig, image: string, key: string): string {
    return cfg.form === "set" ? `${PROJECT}:images.${image}.${key}` : `${PROJECT}:${key}`;
}

/** The image a pin is for: `image` if given (it must be in the stack), else the stack's only image. */
export function pinTarget(cfg: StackImageConfig, image?: string): string {
    const names = Object.keys(cfg.images).sort();
    if (image === undefined && names.length === 1) return names[0];
    if (image !== undefined && names.includes(image)) return image;
    throw new StackConfigError(
        image === undefined
            ? `${cfg.file}: stack "${cfg.stack}" pins ${names.length} images (${names.join(", ")}); name the one to pin`
            : `${cfg.file}: stack "${cfg.stack}" has no image "${image}" (images: ${names.join(", ")})`,
    );
}

/**
 * The stack-file edits that pin `pin` for one image, in the pin's key order: a single-image file gets
 * exactly the top-level keys promote and rollback always wrote (a `keep` field the pin has no value for
 * is left as it is, a `remove` field's line goes), a set gets the same under `images.<name>.`.
 */
export function pinEdits(cfg: StackImageConfig, pin: Pin, image?: string): StackEdits {
    const name = pinTarget(cfg, image);
    const prefix = cfg.form === "set" ? `images.${name}.` : "";
    const edits: StackEdits = {};
    for (const field of PIN_FIELDS) {
        const value = pin[field];
        if (value === undefined && rowOf(field)?.pin === "keep") continue;
        edits[`${prefix}${field}`] = value;
    }
    return edits;
}

/**
 * Every image of the stack as a pin to deploy (name order), or one StackConfigError that names each
 * missing key: a pinned image needs its digest, version and git sha.
 */
export function deployablePins(cfg: StackImageConfig): DeployablePin[] {
    const problems: string[] = [];
    const pins: DeployablePin[] = [];
    for (const name of Object.keys(cfg.images).sort()) {
        const image = cfg.images[name];
        const label = (key: string) => imageKeyLabel(cfg, name, key);
        if (image.digest === undefined) problems.push(`${cfg.file}: ${label("digest")}: required (got "")`);
        const missing = DEPLOY_REQUIRED.filter(
            (k) => (image as unknown as Record<string, unknown>)[k] === undefined,
        );
        for (const key of image.digest === undefined ? [] : missing) {
            problems.push(`${cfg.file}: ${label(key)}: required with ${label("digest")} (got "")`);
        }
        if (problems.length === 0) pins.push({ ...image, name } as DeployablePin);
    }
    if (problems.length > 0) throw new StackConfigError(problems.join("\n"), problems);
    return pins;
}
