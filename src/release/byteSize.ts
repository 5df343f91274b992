/*
 * Sizes as messages give them. A refusal about a size names it exactly, in bytes, and in units a person
 * reads at a glance: "2.5 GiB (2684354560 bytes)".
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 1536 → "1.5 KiB": one decimal, binary units. */
export function byteSize(n: number): string {
    let v = n;
    let u = 0;
    while (v >= 1024 && u < UNITS.length - 1) {
        v /= 1024;
        u++;
    }
    return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/**
 * "4 MiB (4194304 bytes)", "2.5 GiB (2684354560 bytes)", "300 bytes": byteSize's unit, as a whole
 * number when the size is one (limits are set that way), then the exact bytes.
 */
export function sizeText(bytes: number): string {
    if (bytes < 1024) return `${bytes} bytes`;
    const u = Math.min(UNITS.length - 1, Math.floor(Math.log2(bytes) / 10));
    const unit = 1024 ** u;
    const shown = bytes % unit === 0 ? `${bytes / unit} ${UNITS[u]}` : byteSize(bytes);
    return `${shown} (${bytes} bytes)`;
}
