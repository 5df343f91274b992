import * as assert from "assert";
import { isImmutableTag } from "../../src/release";
import { backoffDelay } from "../../src/registry/retry";
import { normalizePlatform } from "../../src/registry/describe";

describe("isImmutableTag (the registry's guard)", () => {
    const rows: [string, boolean][] = [
        ["1.4.2", true],
        ["0.0.1", true],
        ["1.4.2-rc.1", true],
        ["git-0123abc", true],
        ["git-0123456789abcdef0123456789abcdef01234567", true],
        ["1.4", false],
        ["1", false],
        ["dev", false],
        ["staging", false],
        ["prod", false],
        ["latest", false],
        ["git-XYZ", false],
        ["v1.4.2", false],
    ];
    for (const [tag, want] of rows)
        it(`${tag} -> ${want}`, () => assert.strictEqual(isImmutableTag(tag), want));
});

describe("backoffDelay", () => {
    const o = { attempts: 4, baseDelayMs: 200, maxDelayMs: 2000 };
    const rows: [number, number][] = [
        [1, 200],
        [2, 400],
        [3, 800],
        [4, 1600],
        [5, 2000],
        [10, 2000],
    ];
    for (const [attempt, want] of rows)
        it(`attempt ${attempt} waits ${want}ms`, () => assert.strictEqual(backoffDelay(attempt, o), want));
});

describe("normalizePlatform", () => {
    const rows: [string, string][] = [
        ["linux/amd64", "linux/amd64"],
        ["linux/arm64", "linux/arm64"],
        ["linux/arm64/v8", "linux/arm64"],
        ["linux/arm/v7", "linux/arm/v7"],
        ["linux/arm/v6", "linux/arm/v6"],
        ["windows/amd64", "windows/amd64"],
    ];
    for (const [input, want] of rows)
        it(`${input} -> ${want}`, () => assert.strictEqual(normalizePlatform(input), want));
});
