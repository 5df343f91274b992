import * as assert from "assert";
import { BuildError, engineBuildArgs } from "../../src/builder";

describe("engineBuildArgs: what the engine gets, the caller's args plus the builder's own", () => {
    const release = { version: "1.4.2", gitSha: "0123abc", sourceDateEpoch: 1700000000 };
    const rows: {
        name: string;
        buildArgs?: Record<string, string>;
        want?: Record<string, string>;
        error?: string;
    }[] = [
        {
            name: "no args of its own",
            want: { VERSION: "1.4.2", GIT_SHA: "0123abc", SOURCE_DATE_EPOCH: "1700000000" },
        },
        {
            name: "the caller's args are kept",
            buildArgs: { MODE: "release", APP: "api" },
            want: {
                MODE: "release",
                APP: "api",
                VERSION: "1.4.2",
                GIT_SHA: "0123abc",
                SOURCE_DATE_EPOCH: "1700000000",
            },
        },
        {
            name: "VERSION from the caller",
            buildArgs: { VERSION: "9.9.9" },
            error: 'buildArgs must not set VERSION: the builder sets VERSION, GIT_SHA, SOURCE_DATE_EPOCH from the release\'s version, commit and source date epoch (got VERSION="9.9.9")',
        },
        {
            name: "SOURCE_DATE_EPOCH from the caller, even an empty one",
            buildArgs: { MODE: "x", SOURCE_DATE_EPOCH: "" },
            error: 'buildArgs must not set SOURCE_DATE_EPOCH: the builder sets VERSION, GIT_SHA, SOURCE_DATE_EPOCH from the release\'s version, commit and source date epoch (got SOURCE_DATE_EPOCH="")',
        },
    ];
    for (const r of rows) {
        it(r.name, () => {
            const o = { ...release, ...(r.buildArgs ? { buildArgs: r.buildArgs } : {}) };
            if (r.error === undefined) assert.deepStrictEqual(engineBuildArgs(o), r.want);
            else
                assert.throws(
                    () => engineBuildArgs(o),
                    (e: unknown) => e instanceof BuildError && e.message === r.error,
                );
        });
    }
});
