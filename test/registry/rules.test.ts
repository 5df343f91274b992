import * as assert from "assert";
import { isImmutableTag } from "../../src/release";
import { backoffDelay } from "../../src/registry/retry";
import { redirected } from "../../src/registry/transport";
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

describe("redirected: the request a redirect leads to (fetch's rules)", () => {
    const body = Buffer.from("{}");
    const headers = { "Content-Type": "application/vnd.oci.image.manifest.v1+json", Accept: "x/y" };
    const rows: [number, string, string, boolean][] = [
        // status, method, method after, body and Content-Type kept
        [307, "PUT", "PUT", true],
        [308, "PUT", "PUT", true],
        [301, "PUT", "PUT", true],
        [302, "PATCH", "PATCH", true],
        [301, "POST", "GET", false],
        [302, "POST", "GET", false],
        [307, "POST", "POST", true],
        [303, "PUT", "GET", false],
        [303, "POST", "GET", false],
        [303, "GET", "GET", true],
        [303, "HEAD", "HEAD", true],
    ];
    for (const [status, method, after, kept] of rows)
        it(`${status} after ${method}: ${after}, body ${kept ? "kept" : "dropped"}`, () => {
            const got = redirected(
                status,
                method,
                headers,
                method === "GET" || method === "HEAD" ? undefined : body,
            );
            assert.deepStrictEqual(got, {
                method: after,
                headers: kept ? headers : { Accept: "x/y" },
                body: kept && method !== "GET" && method !== "HEAD" ? body : undefined,
            });
        });
});
