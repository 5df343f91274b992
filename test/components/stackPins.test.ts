import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { pinStackWorkloads, standInDigest, withRealDigests } from "../../src/components";

const API = "127.0.0.1:5000/shop/api";
const WORKER = "127.0.0.1:5000/shop/worker";
const BUILT = "sha256:" + "b".repeat(64);
const D2 = "sha256:" + "2".repeat(64);

/** Resolves every Output inside `node` (the transform's result props), as the engine would. */
async function resolved(node: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(node)) {
        return new Promise((resolve) => node.apply(resolve));
    }
    if (Array.isArray(node)) return Promise.all(node.map(resolved));
    if (typeof node === "object" && node !== null) {
        const entries = await Promise.all(Object.entries(node).map(async ([k, v]) => [k, await resolved(v)]));
        return Object.fromEntries(entries);
    }
    return node;
}

const deployment = (images: string[]) => ({
    metadata: { name: "api" },
    spec: {
        selector: { matchLabels: { app: "api" } },
        template: {
            metadata: { labels: { app: "api" } },
            spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
        },
    },
});

describe("components/stackPins: dev pins the digests it builds in the same up", () => {
    it("a stand-in is a well-formed digest of its own per image", () => {
        const a = standInDigest("api");
        assert.match(a, /^sha256:[0-9a-f]{64}$/);
        assert.notStrictEqual(a, standInDigest("worker"));
        assert.strictEqual(a, standInDigest("api"));
    });

    const pending = new Map([[standInDigest("api"), pulumi.output(BUILT)]]);
    const rows: { name: string; in: unknown; out: unknown }[] = [
        { name: "a string without a stand-in", in: "nginx:1.27", out: "nginx:1.27" },
        { name: "a number", in: 3, out: 3 },
        { name: "a stand-in in a string", in: `${API}@${standInDigest("api")}`, out: `${API}@${BUILT}` },
        {
            name: "nested in lists and maps",
            in: { a: [{ image: `x@${standInDigest("api")}` }, "y"], n: null },
            out: { a: [{ image: `x@${BUILT}` }, "y"], n: null },
        },
    ];
    for (const r of rows) {
        it(`withRealDigests: ${r.name}`, async () =>
            assert.deepStrictEqual(await resolved(withRealDigests(r.in, pending)), r.out));
    }

    it("rewrites a workload to the built digest (image and annotations) and a pinned one to its own", async () => {
        const t = pinStackWorkloads(
            {
                api: { repository: API, digest: pulumi.output(BUILT), version: "1.5.0", gitSha: "89abcde" },
                worker: { repository: WORKER, digest: D2, version: "1.4.3", gitSha: "4567def" },
            },
            { mode: "rewrite" },
        );
        const props = deployment([`${API}:1.5.0`, WORKER]);
        const result = await t({
            custom: true,
            type: "kubernetes:apps/v1:Deployment",
            name: "api",
            props,
            opts: {},
        });
        const out = (await resolved(result?.props)) as ReturnType<typeof deployment> & {
            metadata: { annotations: Record<string, string> };
        };
        assert.deepStrictEqual(
            out.spec.template.spec.containers.map((c) => c.image),
            [`${API}@${BUILT}`, `${WORKER}@${D2}`],
        );
        assert.deepStrictEqual(out.metadata.annotations, {
            "kubernetes.io/change-cause": "image-release 1.5.0 sha256:bbbbbbbbbbbb",
            "image-release/version": "1.5.0",
            "image-release/digest": BUILT,
            "image-release/git-sha": "89abcde",
        });
    });

    it("with every digest known it is pinWorkloads itself: the result holds no Output", async () => {
        const t = pinStackWorkloads(
            { worker: { repository: WORKER, digest: D2, version: "1.4.3", gitSha: "4567def" } },
            { mode: "strict" },
        );
        const result = await t({
            custom: true,
            type: "kubernetes:apps/v1:Deployment",
            name: "w",
            props: deployment([`${WORKER}:1.4.3`]),
            opts: {},
        });
        const image = (result?.props as ReturnType<typeof deployment>).spec.template.spec.containers[0].image;
        assert.strictEqual(image, `${WORKER}@${D2}`);
    });
});
