import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gc, GcOptions, Refusal, UsageRefusal } from "../../src/flows";
import { git, makeRepo, readStack } from "../fixtures/cli/repo";
import { testClient } from "../fixtures/cli/scenarios";
import { closedPort } from "../helpers/cli";

const client = testClient();
const D = `sha256:${"d".repeat(64)}`;
const TAIL = "gc keeps each stack's recent pins, so it refuses to plan without them";

/** What `gc` threw: its class and its exact message. */
async function refusalOf(o: GcOptions, kubectl = async () => '{"items": []}'): Promise<[string, string]> {
    const e = await gc(o, { client, kubectl }).then(
        () => assert.fail("gc ran; expected a refusal"),
        (err: Error) => err,
    );
    assert.ok(e instanceof Refusal, `not a Refusal: ${e.stack}`);
    return [e.constructor.name, e.message];
}

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe("gc refuses, naming the bad value, and deletes nothing @integration", () => {
    const repo = "127.0.0.1:5000/test/gc-refusals-never-pushed";
    const dir = makeRepo(repo, D);
    const o = (root: string): GcOptions => ({ repoRoot: root, stacksDir: path.join(root, "stacks") });

    const usage: { name: string; o: Partial<GcOptions>; message: string }[] = [
        {
            name: "a malformed --older-than",
            o: { olderThan: "30" },
            message: '--older-than "30" is not an age: a whole number of days or hours, e.g. 30d or 12h',
        },
        {
            name: "an --older-than in minutes",
            o: { olderThan: "90m", apply: true },
            message: '--older-than "90m" is not an age: a whole number of days or hours, e.g. 30d or 12h',
        },
        {
            name: "--apply without --older-than",
            o: { apply: true },
            message: "--apply needs --older-than (e.g. 30d)",
        },
        {
            name: "--apply with --no-cluster",
            o: { apply: true, olderThan: "30d", cluster: false },
            message:
                "--apply reads the clusters (what runs is kept): drop --no-cluster, or plan without --apply",
        },
        {
            name: "--keep-history 0, and --apply without --older-than",
            o: { keepHistory: 0, apply: true },
            message:
                '--keep-history must be an integer >= 1 (got "0")\n--apply needs --older-than (e.g. 30d)',
        },
    ];
    for (const row of usage) {
        it(`usage: ${row.name}`, async () => {
            assert.deepStrictEqual(await refusalOf({ ...o(dir), ...row.o }), [
                UsageRefusal.name,
                row.message,
            ]);
        });
    }

    it("stacks outside a git repository", async () => {
        const root = tmp("gc-nogit-");
        fs.cpSync(path.join(dir, "stacks"), path.join(root, "stacks"), { recursive: true });
        assert.deepStrictEqual(await refusalOf(o(root)), [
            Refusal.name,
            `cannot read the history of stacks/Pulumi.dev.yaml: ${root} is not a git repository; ${TAIL}`,
        ]);
    });

    it("a shallow clone", async () => {
        const root = path.join(tmp("gc-shallow-"), "clone");
        git(dir, ["clone", "-q", "--depth", "1", `file://${dir}`, root]);
        assert.deepStrictEqual(await refusalOf(o(root)), [
            Refusal.name,
            `cannot read the history of stacks/Pulumi.dev.yaml: the clone is shallow (git fetch --unshallow); ${TAIL}`,
        ]);
    });

    it("a stack file no commit holds", async () => {
        fs.writeFileSync(path.join(dir, "stacks", "Pulumi.qa.yaml"), readStack(dir, "staging"));
        try {
            assert.deepStrictEqual(await refusalOf(o(dir)), [
                Refusal.name,
                `cannot read the history of stacks/Pulumi.qa.yaml: no commit holds it (commit it first); ${TAIL}`,
            ]);
        } finally {
            fs.unlinkSync(path.join(dir, "stacks", "Pulumi.qa.yaml"));
        }
    });

    it("a namespace kubectl cannot read", async () => {
        const kubectl = () => Promise.reject(new Error("`kubectl get …` failed: connection refused"));
        assert.deepStrictEqual(await refusalOf(o(dir), kubectl), [
            Refusal.name,
            "cannot read what runs in stack dev's namespace default: `kubectl get …` failed: connection refused; gc keeps every running digest, so it refuses without them (--no-cluster plans from the stacks alone)",
        ]);
    });

    it("a registry that cannot be listed", async () => {
        const port = await closedPort();
        const root = makeRepo(`127.0.0.1:${port}/test/gone`, D);
        assert.deepStrictEqual(await refusalOf(o(root)), [
            Refusal.name,
            `cannot list 127.0.0.1:${port}/test/gone: registry 127.0.0.1:${port} unreachable after 1 attempts: ECONNREFUSED; gc plans only from a full listing of every repository the stacks use`,
        ]);
    });
});
