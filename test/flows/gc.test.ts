import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gc, GcResult } from "../../src/flows";
import { DeletionGroup } from "../../src/release";
import { testClient } from "../fixtures/cli/scenarios";
import { emptyRepository } from "../fixtures/retention/registry";
import { fakeKubectl, NEW, NOW, OLD, retentionScenario, Scenario } from "../fixtures/retention/scenario";

const client = testClient();

/** The kept digests as `digest -> reasons`: the order of a closure follows the registry's listing. */
function keptMap(r: GcResult): Record<string, string[]> {
    return Object.fromEntries(r.kept.map((k) => [k.digest, k.reasons]));
}

const platformsOf = (s: Scenario, x: "P" | "H1" | "H2" | "H3" | "R" | "O" | "N") =>
    ["linux/amd64", "linux/arm64"].map((platform, i) => ({ digest: s[x].platforms[i], platform }));

/** What the scenario keeps with `--keep-history 2` and the cluster read. */
function expectedKept(s: Scenario): Record<string, string[]> {
    const of = (x: "P" | "H2" | "H3" | "R") =>
        Object.fromEntries(platformsOf(s, x).map((c) => [c.digest, [`${c.platform} of ${s[x].digest}`]]));
    return {
        [s.P.digest]: ["pinned in prod", "history of prod (1st newest)", "channel tag prod of prod"],
        [s.H3.digest]: [
            "pinned in staging",
            "history of staging (1st newest)",
            "channel tag staging of staging",
        ],
        [s.H2.digest]: ["history of staging (2nd newest)"],
        [s.R.digest]: ["running in staging/Deployment hello"],
        ...of("P"),
        ...of("H2"),
        ...of("H3"),
        ...of("R"),
        [s.sigP]: [`.sig of ${s.P.digest}`],
        [s.attP]: [`.att of ${s.P.digest}`],
    };
}

function groups(s: Scenario): Record<"H1" | "O" | "N", DeletionGroup> {
    const g = (
        x: "H1" | "O" | "N",
        tags: string[],
        created: string,
        artifacts: DeletionGroup["artifacts"] = [],
    ) => ({
        repository: s.repo,
        digest: s[x].digest,
        tags,
        created,
        children: platformsOf(s, x),
        artifacts,
    });
    const sig = `${s.H1.digest.replace(":", "-")}.sig`;
    return {
        H1: g("H1", ["1.1.0"], OLD, [{ tag: sig, digest: s.sigH1 }]),
        O: g("O", ["0.1", "0.1.0"], OLD),
        N: g("N", ["2.0.0-rc.1"], NEW),
    };
}

/** Old first, then by digest: the plan's order. */
const byDigest = (a: DeletionGroup, b: DeletionGroup) => (a.digest < b.digest ? -1 : 1);

describe("gc: retention that keeps what matters @integration", () => {
    let s: Scenario;
    const asked: string[][] = [];
    const deps = () => ({
        client,
        now: () => NOW,
        kubectl: fakeKubectl(() => `${s.repo}@${s.R.digest}`, asked),
    });
    const opts = () => ({ repoRoot: s.dir, stacksDir: path.join(s.dir, "stacks"), keepHistory: 2 });

    before(async () => {
        s = await retentionScenario(client);
    });
    after(async () => emptyRepository(client, s.repo));

    it("--plan: pins, the newest history, channel tags, running images and their .sig/.att stay; the rest may go", async () => {
        asked.length = 0;
        const r = await gc(opts(), deps());
        const g = groups(s);
        assert.deepStrictEqual(keptMap(r), expectedKept(s));
        assert.deepStrictEqual(r.mayGo, [...[g.H1, g.O].sort(byDigest), g.N]);
        assert.deepStrictEqual([r.mode, r.tooNew, r.ageUnknown, r.keepHistory], ["plan", [], [], 2]);
        assert.deepStrictEqual(r.namespaces, ["dev/default", "prod/prod", "staging/staging"]);
        assert.deepStrictEqual(r.repositories, [s.repo]);
        assert.deepStrictEqual(
            asked.map((a) => a[3]),
            ["default", "prod", "staging"],
        );
    });

    it("--older-than 30d: only what is older may go; --out writes it one repository@digest a line", async () => {
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gc-out-")), "may-go.txt");
        const r = await gc({ ...opts(), olderThan: "30d", out }, deps());
        const g = groups(s);
        const going = [g.H1, g.O].sort(byDigest);
        // What stays takes nothing with it: only a group that goes lists its manifests.
        assert.deepStrictEqual([r.mayGo, r.tooNew, r.out], [going, [{ ...g.N, children: [] }], out]);
        const lines = going.flatMap((x) => [
            x.digest,
            ...x.children.map((c) => c.digest),
            ...x.artifacts.map((a) => a.digest),
        ]);
        assert.strictEqual(fs.readFileSync(out, "utf8"), lines.map((d) => `${s.repo}@${d}\n`).join(""));
    });

    it("--keep-history 10 keeps all of staging's history: H1 and its .sig stay", async () => {
        const r = await gc({ ...opts(), keepHistory: 10 }, deps());
        assert.deepStrictEqual(keptMap(r)[s.H1.digest], ["history of staging (3rd newest)"]);
        assert.deepStrictEqual(keptMap(r)[s.sigH1], [`.sig of ${s.H1.digest}`]);
        assert.deepStrictEqual(keptMap(r)[s.P.digest], [
            "pinned in prod",
            "history of prod (1st newest)",
            "history of staging (4th newest)",
            "channel tag prod of prod",
        ]);
    });

    it("--no-cluster: nothing asks kubectl, and what only the cluster runs may go", async () => {
        const r = await gc(
            { ...opts(), cluster: false },
            { client, now: () => NOW, kubectl: () => assert.fail("asked") },
        );
        assert.strictEqual(r.namespaces, undefined);
        assert.strictEqual(keptMap(r)[s.R.digest], undefined);
        assert.deepStrictEqual(
            r.mayGo.map((x) => x.digest).sort(),
            [s.H1.digest, s.O.digest, s.N.digest, s.R.digest].sort(),
        );
    });
});
