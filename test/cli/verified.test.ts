import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runIn } from "../helpers/cli";

const D = `sha256:${"7".repeat(64)}`;

/** A project with one staging stack, so the flags reach the flows. */
function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-cli-verified-"));
    fs.mkdirSync(path.join(dir, "stacks"));
    fs.writeFileSync(
        path.join(dir, "stacks", "Pulumi.staging.yaml"),
        `config:\n  image-release:repository: 127.0.0.1:5000/shop/api\n  image-release:digest: ${D}\n  image-release:version: 1.5.0\n  image-release:gitSha: 0123abc\n`,
    );
    return dir;
}

describe("cli: check's verification flags and reject", () => {
    const saved = process.env.IMAGE_RELEASE_VERIFIER_KEY;
    before(() => delete process.env.IMAGE_RELEASE_VERIFIER_KEY);
    after(() => {
        if (saved !== undefined) process.env.IMAGE_RELEASE_VERIFIER_KEY = saved;
    });

    const cases: { name: string; args: string[]; code: number; stderr: string }[] = [
        {
            name: "--wait that is not whole seconds",
            args: ["check", "--stack", "staging", "--wait", "soon"],
            code: 2,
            stderr: 'image-release: --wait "soon": expected whole seconds, 0-86400\n',
        },
        {
            name: "an unknown --on-failure action",
            args: ["check", "--stack", "staging", "--on-failure", "explode"],
            code: 2,
            stderr: 'image-release: --on-failure "explode": expected reject or rollback\n',
        },
        {
            name: "--wait without a verifier key",
            args: ["check", "--stack", "staging", "--wait", "60"],
            code: 1,
            stderr: "image-release: --wait needs a verifier key to sign with: set IMAGE_RELEASE_VERIFIER_KEY\n",
        },
        {
            name: "--on-failure without a verifier key",
            args: ["check", "--stack", "staging", "--on-failure", "rollback"],
            code: 1,
            stderr: "image-release: --on-failure needs a verifier key to sign with: set IMAGE_RELEASE_VERIFIER_KEY\n",
        },
        {
            name: "reject: not a digest",
            args: ["reject", "sha256:abc", "--reason", "breaks checkout"],
            code: 2,
            stderr: 'image-release: "sha256:abc" is not a digest (sha256:<64 hex>)\n',
        },
        {
            name: "reject: an empty reason",
            args: ["reject", D, "--reason", ""],
            code: 2,
            stderr: 'image-release: --reason must not be empty (got "")\n',
        },
        {
            name: "reject: no verifier key",
            args: ["reject", D, "--reason", "breaks checkout", "--stack", "staging"],
            code: 1,
            stderr: "image-release: a rejection is signed by a verifier key: set IMAGE_RELEASE_VERIFIER_KEY\n",
        },
        {
            name: "reject --lift: no verifier key",
            args: ["reject", D, "--lift", "--reason", "fixed"],
            code: 1,
            stderr: "image-release: a lift is signed by a verifier key: set IMAGE_RELEASE_VERIFIER_KEY\n",
        },
    ];
    for (const c of cases) {
        it(`refuses ${c.name}, exit ${c.code}`, async () => {
            const dir = project();
            const r = await runIn([...c.args, "--repo-root", dir]);
            assert.deepStrictEqual([r.code, r.stdout, r.stderr], [c.code, "", c.stderr]);
        });
    }
});
