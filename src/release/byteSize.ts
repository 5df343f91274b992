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
 * "4 MiB (4194304 bytes)", "2.5 GiB (2684354560 bytes)", "300 bytes": a whole number of the largest
 * unit that divides the size exactly (limits are set that way), else byteSize's rounding.
 */
export function sizeText(bytes: number): string {
    if (bytes < 1024) return `${bytes} bytes`;
    for (let u = UNITS.length - 1; u > 0; u--) {
        const unit = 1024 ** u;
        if (bytes % unit === 0) return `${bytes / unit} ${UNITS[u]} (${bytes} bytes)`;
    }
    return `${byteSize(bytes)} (${bytes} bytes)`;
}
