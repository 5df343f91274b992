import * as assert from "assert";
import { validateStackConfig } from "../../src/stackconfig";

const F = "stacks/Pulumi.staging.yaml";
const base = {
    "image-release:repository": "127.0.0.1:5000/shop/api",
    "image-release:digest": `sha256:${"1".repeat(64)}`,
    "image-release:version": "1.5.0",
    "image-release:gitSha": "0123abc",
};
const read = (checks: unknown) =>
    validateStackConfig("staging", F, { ...base, "image-release:checks": checks }).checks;
const bad = (checks: unknown) => {
    try {
        read(checks);
    } catch (e) {
        return (e as { problems: string[] }).problems;
    }
    return [];
};
const K = "image-release:checks";

describe("stackconfig/checks: image-release:checks, what `check` runs after pulumi up", () => {
    it("defaults: the rollout (300 s, no restarts), no http check", () =>
        assert.deepStrictEqual(read({}), {
            rollout: { timeoutSeconds: 300, maxRestarts: 0 },
            http: [],
            job: [],
            soakSeconds: 0,
        }));

    it("reads a rollout and http checks, numbers as written or as the engine's strings", () =>
        assert.deepStrictEqual(
            read({
                rollout: { timeoutSeconds: "60", maxRestarts: 1 },
                http: [
                    {
                        name: "ready",
                        service: "api",
                        port: 8080,
                        path: "/readyz",
                        body: "ok",
                        timeoutSeconds: 5,
                    },
                ],
            }),
            {
                rollout: { timeoutSeconds: 60, maxRestarts: 1 },
                http: [
                    {
                        name: "ready",
                        service: "api",
                        port: 8080,
                        path: "/readyz",
                        body: "ok",
                        status: 200,
                        timeoutSeconds: 5,
                    },
                ],
                job: [],
                soakSeconds: 0,
            },
        ));

    it("reads job checks with their defaults (no args, 120 s)", () =>
        assert.deepStrictEqual(
            read({
                job: [
                    { name: "smoke" },
                    { name: "train", image: "api", args: ["--once"], timeoutSeconds: "600" },
                ],
            })?.job,
            [
                { name: "smoke", args: [], timeoutSeconds: 120 },
                { name: "train", image: "api", args: ["--once"], timeoutSeconds: 600 },
            ],
        ));

    it("reads the soak, as written or as the engine's string", () =>
        assert.deepStrictEqual(
            [read({ soakSeconds: 600 })?.soakSeconds, read({ soakSeconds: "2592000" })?.soakSeconds],
            [600, 2592000],
        ));

    const rows: { name: string; in: unknown; problems: string[] }[] = [
        {
            name: "not a map",
            in: "yes",
            problems: [`${F}: ${K}: expected a map with rollout, http, job, soakSeconds (got "yes")`],
        },
        {
            name: "an unknown kind",
            in: { soak: 60 },
            problems: [`${F}: ${K}.soak: unknown key (known: rollout, http, job, soakSeconds) (got "60")`],
        },
        {
            name: "a job check without a name, and one whose args are not strings",
            in: { job: [{ args: ["--once"] }, { name: "smoke", args: [1] }] },
            problems: [
                `${F}: ${K}.job[0]: required: name (got "{"args":["--once"]}")`,
                `${F}: ${K}.job[1].args: expected a list of strings (got "[1]")`,
            ],
        },
        {
            name: "a soak over 30 days",
            in: { soakSeconds: 2592001 },
            problems: [`${F}: ${K}.soakSeconds: expected whole seconds, 0-2592000 (30 days) (got "2592001")`],
        },
        {
            name: "a rollout timeout of 0",
            in: { rollout: { timeoutSeconds: 0 } },
            problems: [`${F}: ${K}.rollout.timeoutSeconds: expected whole seconds, 1-3600 (got "0")`],
        },
        {
            name: "http not a list",
            in: { http: {} },
            problems: [`${F}: ${K}.http: expected a list of checks (name, service, port, path) (got "{}")`],
        },
        {
            name: "an http check without its service and port",
            in: { http: [{ name: "x", path: "/" }] },
            problems: [`${F}: ${K}.http[0]: required: service, port (got "{"name":"x","path":"/"}")`],
        },
        {
            name: "a path with a query, a bad status and regexp",
            in: { http: [{ name: "x", service: "api", port: 80, path: "/a?b", status: 99, body: "(" }] },
            problems: [
                `${F}: ${K}.http[0].path: expected a path starting with / (no spaces, query or fragment) (got "/a?b")`,
                `${F}: ${K}.http[0].status: expected an HTTP status, 100-599 (got "99")`,
                `${F}: ${K}.http[0].body: expected a regular expression (got "(")`,
            ],
        },
        {
            name: "two checks with one name",
            in: {
                http: [
                    { name: "x", service: "a", port: 1, path: "/" },
                    { name: "x", service: "b", port: 1, path: "/" },
                ],
            },
            problems: [`${F}: ${K}.http[1].name: used by another check (got "x")`],
        },
    ];
    for (const r of rows) {
        it(`refuses ${r.name}, naming the key`, () => assert.deepStrictEqual(bad(r.in), r.problems));
    }
});
