import * as assert from "assert";
import * as path from "path";
import { gc, Refusal } from "../../src/flows";
import { testClient } from "../fixtures/cli/scenarios";
import { startProxy, TestProxy } from "../fixtures/registry/proxy";
import { LOCAL, uniqueRepo } from "../fixtures/registry/testImage";
import { emptyRepository, present } from "../fixtures/retention/registry";
import { fakeKubectl, NOW, retentionScenario, Scenario } from "../fixtures/retention/scenario";

const client = testClient();

/** Every manifest of the scenario by name: the images, their platforms, the artifacts. */
function manifests(s: Scenario): Record<string, string[]> {
    const img = (x: "P" | "H1" | "H2" | "H3" | "R" | "O" | "N") => [s[x].digest, ...s[x].platforms];
    return {
        P: [...img("P"), s.sigP, s.attP],
        H1: [...img("H1"), s.sigH1],
        H2: img("H2"),
        H3: img("H3"),
        R: img("R"),
        O: img("O"),
        N: img("N"),
    };
}

async function presence(s: Scenario, repo = s.repo): Promise<Record<string, boolean[]>> {
    const out: Record<string, boolean[]> = {};
    for (const [k, ds] of Object.entries(manifests(s))) {
        out[k] = await Promise.all(ds.map((d) => present(client, repo, d)));
    }
    return out;
}

/** gc --apply --older-than 30d --keep-history 2 over the scenario's stacks. */
const applyOptions = (s: Scenario) => ({
    repoRoot: s.dir,
    stacksDir: path.join(s.dir, "stacks"),
    keepHistory: 2,
    apply: true,
    olderThan: "30d",
});

const all = (s: Scenario, v: boolean, except: string[] = []) =>
    Object.fromEntries(
        Object.entries(manifests(s)).map(([k, ds]) => [k, ds.map(() => (except.includes(k) ? !v : v))]),
    );

describe("gc --apply: deletes only what may go @integration", () => {
    it("deletes the old outside the keep set with its platforms and .sig; every kept digest still resolves", async () => {
        const s = await retentionScenario(client);
        try {
            const opts = { repoRoot: s.dir, stacksDir: path.join(s.dir, "stacks"), keepHistory: 2 };
            const kubectl = fakeKubectl(() => `${s.repo}@${s.R.digest}`);
            const r = await gc(
                { ...opts, apply: true, olderThan: "30d" },
                { client, now: () => NOW, kubectl },
            );
            const going = [s.H1.digest < s.O.digest ? "H1" : "O", s.H1.digest < s.O.digest ? "O" : "H1"];
            assert.deepStrictEqual(
                r.deleted,
                going.flatMap((k) => manifests(s)[k]).map((d) => `${s.repo}@${d}`),
            );
            assert.deepStrictEqual(r.mode, "apply");
            assert.deepStrictEqual(await presence(s), all(s, true, ["H1", "O"]));
            const again = await gc(
                { ...opts, apply: true, olderThan: "30d" },
                { client, now: () => NOW, kubectl },
            );
            assert.deepStrictEqual([again.mayGo, again.deleted], [[], []]);
        } finally {
            await emptyRepository(client, s.repo);
        }
    });

    it("refuses, deleting nothing, when the keep set read again holds a planned deletion", async () => {
        const s = await retentionScenario(client);
        try {
            let reads = 0;
            // The plan sees R running; by the time of the delete, a rollout runs O.
            const kubectl = fakeKubectl(() => `${s.repo}@${reads++ === 0 ? s.R.digest : s.O.digest}`);
            const o = applyOptions(s);
            const e = await gc(o, { client, now: () => NOW, kubectl }).then(
                () => assert.fail("deleted"),
                (x: Error) => x,
            );
            assert.ok(e instanceof Refusal);
            assert.strictEqual(
                e.message,
                `${s.repo}@${s.O.digest} is kept now (running in staging/Deployment hello): the keep set changed since the plan was read; nothing was deleted`,
            );
            assert.deepStrictEqual(await presence(s), all(s, true));
        } finally {
            await emptyRepository(client, s.repo);
        }
    });

    describe("a registry that refuses DELETE (405: deletes disabled) after the first", () => {
        let proxy: TestProxy;
        let deletes = 0;
        before(async () => {
            proxy = await startProxy((req, res, forward) => {
                if (req.method !== "DELETE" || deletes++ === 0) return forward();
                res.writeHead(405, { "Content-Type": "application/json" });
                res.end('{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}');
            });
        });
        after(() => proxy.close());

        it("is named with what was deleted before, and nothing more is deleted", async () => {
            const direct = uniqueRepo(LOCAL, "gc");
            const viaProxy = direct.replace(LOCAL, proxy.registry);
            const s = await retentionScenario(client, viaProxy);
            try {
                const o = applyOptions(s);
                const kubectl = fakeKubectl(() => `${s.repo}@${s.R.digest}`);
                const e = await gc(o, { client, now: () => NOW, kubectl }).then(
                    () => assert.fail("deleted"),
                    (x: Error) => x,
                );
                const [first, second] = manifests(s)[s.H1.digest < s.O.digest ? "H1" : "O"];
                assert.ok(e instanceof Refusal);
                assert.strictEqual(
                    e.message,
                    `registry ${proxy.registry} refused to delete: DELETE ${s.repo}@${second} answered 405 Method Not Allowed (deletes are disabled there: distribution's storage.delete.enabled); nothing more was deleted (deleted before it: ${s.repo}@${first})`,
                );
                assert.deepStrictEqual(
                    proxy.requests.filter((q) => q.method === "DELETE").map((q) => q.url),
                    [first, second].map((d) => `/v2/${direct.slice(LOCAL.length + 1)}/manifests/${d}`),
                );
                // The first image is gone; its platforms and everything else are still there.
                const k = s.H1.digest < s.O.digest ? "H1" : "O";
                assert.deepStrictEqual(await presence(s, direct), {
                    ...all(s, true),
                    [k]: manifests(s)[k].map((_, i) => i !== 0),
                });
            } finally {
                await emptyRepository(client, direct);
            }
        });
    });
});
