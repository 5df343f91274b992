import * as assert from "assert";
import { PR_BODY_LIMIT } from "../../src/flows/pullRequest";
import { SetPinChange } from "../../src/flows/setPin";
import { setPullRequestText } from "../../src/flows/setPullRequest";
import { StackImageConfig } from "../../src/stackconfig";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const member = (name: string, digest: string) => ({
    name,
    repository: `127.0.0.1:5000/shop/${name}`,
    digest,
    version: "1.1.0",
    gitSha: "89abcde",
    promotedFrom: "dev",
    sourceRepository: undefined,
    platforms: ["linux/amd64"],
    verified: { digest, mediaType: "", platforms: [{ platform: "linux/amd64", digest: D("a") }] },
    evidence: [],
});
const change = {
    stack: { stack: "staging" } as StackImageConfig,
    kind: "promote",
    from: "dev",
    evidence: [{ text: "`dev` ran this combination" }],
    members: [member("api", D("1")), member("worker", D("2"))],
} as unknown as SetPinChange;
const pr = { title: "Promote", branch: "promote/staging-set-0123456789ab", diff: "-a\n+b\n" };

describe("flows/setPullRequest: each image's release notes in the set's PR", () => {
    it("puts each image's notes (or why there are none) at the end of its section", () => {
        const body = setPullRequestText(change, pr, {
            api: "no notes: api",
            worker: "no notes: worker",
        }).body;
        const api = body.indexOf("### api");
        const worker = body.indexOf("### worker");
        assert.ok(api > 0 && worker > api, body);
        assert.strictEqual(body.slice(api, worker).split("#### Release notes\n\n")[1], "(no notes: api)\n\n");
        assert.ok(body.slice(worker).includes("#### Release notes\n\n(no notes: worker)\n"), body);
    });

    it("leaves the notes out, and says so, when they would pass GitHub's limit; the diff stays whole", () => {
        const huge = "x".repeat(PR_BODY_LIMIT);
        const body = setPullRequestText(change, pr, { api: huge, worker: "short" }).body;
        assert.ok(body.length <= PR_BODY_LIMIT, String(body.length));
        assert.ok(!body.includes("#### Release notes"), body);
        assert.ok(body.includes("(release notes left out to fit GitHub's 65,536-character limit)\n"), body);
        assert.ok(body.includes("```diff\n-a\n+b\n```"), body);
    });

    it("without notes the sections are as before", () => {
        assert.ok(!setPullRequestText(change, pr).body.includes("Release notes\n"));
    });
});
