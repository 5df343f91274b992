/* Ages as `gc --older-than` takes them, and how old an image is by its config's `created`. */

const UNIT_MS = { h: 3_600_000, d: 86_400_000 } as const;

/** `30d` or `12h` in milliseconds: a whole number >= 1 of days or hours; undefined for anything else. */
export function parseAge(v: string): number | undefined {
    const m = /^([0-9]{1,6})([dh])$/.exec(v);
    if (m === null || Number(m[1]) < 1) return undefined;
    return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** Whether `created` (RFC 3339) lies more than `ageMs` before `now`; undefined when it is no time. */
export function olderThan(created: string, ageMs: number, now: Date): boolean | undefined {
    const t = Date.parse(created);
    if (Number.isNaN(t)) return undefined;
    return now.getTime() - t > ageMs;
}

/** 1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, 21st. */
export function ordinal(n: number): string {
    const teen = n % 100 >= 11 && n % 100 <= 13;
    const suffix = teen ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
    return `${n}${suffix}`;
}
