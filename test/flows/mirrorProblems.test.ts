import * as assert from "assert";
import { mirrorProblems } from "../../src/flows/release";

// --mirror is checked before anything is built; a credential typed into it is never echoed back.
describe("release --mirror problems (pure)", () => {
    const repo = "127.0.0.1:5000/image-release/hello";
    const rows: { mirrors: string[]; expected: string[] }[] = [
        { mirrors: ["127.0.0.1:5001/m/hello"], expected: [] },
        {
            mirrors: ["user:s3cret@127.0.0.1:5001/m/hello:1.0"],
            expected: [
                '--mirror "<redacted>@127.0.0.1:5001/m/hello:1.0": credentials do not belong in an image reference (use docker login or the credentials argument)',
            ],
        },
        { mirrors: [repo], expected: [`--mirror "${repo}": is the release repository itself`] },
    ];
    for (const r of rows) {
        it(JSON.stringify(r.mirrors), () => {
            assert.deepStrictEqual(mirrorProblems(repo, r.mirrors), r.expected);
            assert.ok(!mirrorProblems(repo, r.mirrors).join("\n").includes("s3cret"));
        });
    }
});
