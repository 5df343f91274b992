import * as assert from "assert";
import { ReleaseRuleError } from "../../src/release/errors";
import { ImagePin, indexPins, PinImagesOptions, pinImages } from "../../src/release/pinImages";
import { WORKLOAD_KINDS, WorkloadKind, workloadOf } from "../../src/release/workloads";

const API = "127.0.0.1:5000/shop/api";
const WORKER = "127.0.0.1:5000/shop/worker";
const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);
const D3 = "sha256:" + "3".repeat(64);
const D9 = "sha256:" + "9".repeat(64);

const PINS: Record<string, ImagePin> = {
    api: { repository: API, digest: D1, version: "1.4.2", gitSha: "0123abc" },
    worker: { repository: WORKER, digest: D2, version: "1.4.2", gitSha: "0123abc" },
    nginx: { repository: "docker.io/library/nginx", digest: D3, version: "1.25.3", gitSha: "fedcba9" },
};
const STRICT: PinImagesOptions = { mode: "strict" };
const DEV: PinImagesOptions = { mode: "rewrite" };
const DEPLOYMENT = workloadOf("kubernetes:apps/v1:Deployment")!.kind;

type Json = Record<string, unknown>;

/** An object of `kind` whose pod spec is `podSpec`, with an unrelated field beside it that must survive. */
function objectOf(kind: WorkloadKind, podSpec: Json): Json {
    let node: Json = { ...podSpec, serviceAccountName: "api" };
    for (const key of [...kind.podSpecPath].reverse()) node = { [key]: node };
    return { apiVersion: "v1", kind: kind.kind, metadata: { name: "x" }, ...node };
}

function podSpecOf(kind: WorkloadKind, o: unknown): Json {
    let node = o as Json;
    for (const key of kind.podSpecPath) node = node[key] as Json;
    return node;
}

const c = (name: string, image: string) => ({ name, image, ports: [{ containerPort: 80 }] });

describe("release/pinImages: every workload kind", () => {
    for (const kind of WORKLOAD_KINDS) {
        it(`${kind.kind}: init and main containers at ${kind.podSpecPath.join(".")} are rewritten`, () => {
            const o = objectOf(kind, {
                initContainers: [c("migrate", `${API}:1.4.2`)],
                containers: [c("api", API), c("sidecar", `${WORKER}:1.4.2`)],
            });
            const before = JSON.stringify(o);
            const r = pinImages({ type: "t", name: "n" }, kind, o, PINS, STRICT);
            assert.deepStrictEqual(podSpecOf(kind, r.props), {
                initContainers: [c("migrate", `${API}@${D1}`)],
                containers: [c("api", `${API}@${D1}`), c("sidecar", `${WORKER}@${D2}`)],
                serviceAccountName: "api",
            });
            assert.deepStrictEqual(r.matched, ["api", "worker"]);
            // Main containers first: the annotations describe the api, not the migration.
            assert.deepStrictEqual(r.rewritten, ["api", "worker"]);
            assert.strictEqual(JSON.stringify(o), before, "the input object is not mutated");
        });
    }
});

describe("release/pinImages: references", () => {
    const rows: [string, string, PinImagesOptions, string, string[]][] = [
        ["tag", `${API}:1.4.2`, STRICT, `${API}@${D1}`, ["api"]],
        ["bare repository", API, STRICT, `${API}@${D1}`, ["api"]],
        ["Docker Hub short name", "nginx:1.25", STRICT, `docker.io/library/nginx@${D3}`, ["nginx"]],
        ["Docker Hub library/ path", "library/nginx", STRICT, `docker.io/library/nginx@${D3}`, ["nginx"]],
        [
            "Docker Hub alias host",
            "index.docker.io/nginx:1",
            STRICT,
            `docker.io/library/nginx@${D3}`,
            ["nginx"],
        ],
        [
            "another port is another registry",
            "127.0.0.1:5001/shop/api:1.4.2",
            DEV,
            "127.0.0.1:5001/shop/api:1.4.2",
            [],
        ],
        ["same digest: left as is", `${API}@${D1}`, STRICT, `${API}@${D1}`, []],
        ["tag and same digest: left as is", `${API}:1.4.2@${D1}`, STRICT, `${API}:1.4.2@${D1}`, []],
        ["dev: another digest is left, not rewritten", `${API}@${D9}`, DEV, `${API}@${D9}`, []],
        ["dev: third-party tag is left", "busybox:1.36", DEV, "busybox:1.36", []],
        ["dev: unparseable image is left", "Not An Image", DEV, "Not An Image", []],
        [
            "allowed third party by digest",
            `busybox@${D9}`,
            { mode: "strict", allow: ["busybox"] },
            `busybox@${D9}`,
            [],
        ],
    ];
    for (const [what, image, o, want, rewritten] of rows) {
        it(`${what}: ${image} -> ${want}`, () => {
            const obj = objectOf(DEPLOYMENT, { containers: [c("main", image)] });
            const r = pinImages({ type: "t", name: "n" }, DEPLOYMENT, obj, PINS, o);
            assert.deepStrictEqual(podSpecOf(DEPLOYMENT, r.props).containers, [c("main", want)]);
            assert.deepStrictEqual(r.rewritten, rewritten);
            if (rewritten.length === 0) assert.strictEqual(r.props, obj, "unchanged: the same object");
        });
    }

    it("a pin already at its digest counts as matched", () => {
        const obj = objectOf(DEPLOYMENT, { containers: [c("main", `${API}@${D1}`)] });
        assert.deepStrictEqual(pinImages({ type: "t", name: "n" }, DEPLOYMENT, obj, PINS, STRICT).matched, [
            "api",
        ]);
    });

    it("containers without a string image (a Patch, an unknown in preview) are skipped", () => {
        const patch = workloadOf("kubernetes:apps/v1:DeploymentPatch")!.kind;
        const obj = objectOf(patch, {
            containers: [
                { name: "api", env: [] },
                { name: "x", image: { unknown: 1 } },
            ],
        });
        const r = pinImages({ type: "t", name: "n" }, patch, obj, PINS, STRICT);
        assert.strictEqual(r.props, obj);
        assert.deepStrictEqual([r.matched, r.rewritten], [[], []]);
    });

    it("ephemeral containers are pinned too", () => {
        const pod = workloadOf("kubernetes:core/v1:Pod")!.kind;
        const obj = objectOf(pod, {
            containers: [c("a", API)],
            ephemeralContainers: [c("debug", `${WORKER}:dbg`)],
        });
        const r = pinImages({ type: "t", name: "n" }, pod, obj, PINS, DEV);
        assert.deepStrictEqual(podSpecOf(pod, r.props).ephemeralContainers, [c("debug", `${WORKER}@${D2}`)]);
    });
});

describe("release/pinImages: strict refusals", () => {
    const W = { type: "kubernetes:apps/v1:Deployment", name: "web" };
    const rows: [string, Json, PinImagesOptions, string][] = [
        [
            "a third-party tag in prod",
            { containers: [c("web", "busybox:1.36")] },
            STRICT,
            'kubernetes:apps/v1:Deployment "web": an image the stack cannot deploy:\n' +
                '  - container "web" image "busybox:1.36": not pinned by digest, and docker.io/library/busybox is not in the stack\'s images; pin it with image-release:images.<name>.repository: docker.io/library/busybox, or allow it (pinWorkloads allow) and write it by digest',
        ],
        [
            "an allowed third-party image still needs a digest",
            { initContainers: [c("wait", "busybox:1.36")] },
            { mode: "strict", allow: ["docker.io/library/busybox"] },
            'kubernetes:apps/v1:Deployment "web": an image the stack cannot deploy:\n' +
                '  - init container "wait" image "busybox:1.36": docker.io/library/busybox is allowed, but only by digest; write it as docker.io/library/busybox@sha256:<64 hex>',
        ],
        [
            "a digest of a repository outside the set and the allowlist",
            { containers: [c("web", `ghcr.io/org/tool@${D9}`)] },
            STRICT,
            'kubernetes:apps/v1:Deployment "web": an image the stack cannot deploy:\n' +
                `  - container "web" image "ghcr.io/org/tool@${D9}": ghcr.io/org/tool is not in the stack's images; pin it with image-release:images.<name>.repository: ghcr.io/org/tool, or allow it (pinWorkloads allow)`,
        ],
        [
            "another digest of a pinned repository, with the single-image key label",
            { containers: [c("api", `${API}@${D9}`)] },
            { mode: "strict", keyLabel: (_image, key) => `image-release:${key}` },
            'kubernetes:apps/v1:Deployment "web": an image the stack cannot deploy:\n' +
                `  - container "api" image "${API}@${D9}": pinned to another digest than image-release:digest (${D1}); name the repository without a digest and the stack pins it`,
        ],
        [
            "every problem of one resource in one error; the pinned image is not the problem",
            {
                initContainers: [c("wait", "busybox")],
                containers: [c("api", `${API}:1.4.2`), c("proxy", "Bad:Ref"), c("w", `${WORKER}@${D9}`)],
            },
            STRICT,
            'kubernetes:apps/v1:Deployment "web": 3 images the stack cannot deploy:\n' +
                '  - init container "wait" image "busybox": not pinned by digest, and docker.io/library/busybox is not in the stack\'s images; pin it with image-release:images.<name>.repository: docker.io/library/busybox, or allow it (pinWorkloads allow) and write it by digest\n' +
                '  - container "proxy" image "Bad:Ref": invalid reference "Bad:Ref": repository path "library/Bad" must be lowercase\n' +
                `  - container "w" image "${WORKER}@${D9}": pinned to another digest than image-release:images.worker.digest (${D2}); name the repository without a digest and the stack pins it`,
        ],
    ];
    for (const [what, containers, o, message] of rows) {
        it(what, () => {
            assert.throws(
                () => pinImages(W, DEPLOYMENT, objectOf(DEPLOYMENT, containers), PINS, o),
                (e: Error) =>
                    e instanceof ReleaseRuleError && assert.strictEqual(e.message, message) === undefined,
            );
        });
    }

    it("the same images in dev: only the pinned ones are rewritten, nothing is refused", () => {
        const obj = objectOf(DEPLOYMENT, {
            initContainers: [c("wait", "busybox")],
            containers: [c("api", `${API}:1.4.2`), c("w", `${WORKER}@${D9}`)],
        });
        const r = pinImages(W, DEPLOYMENT, obj, PINS, DEV);
        assert.deepStrictEqual(podSpecOf(DEPLOYMENT, r.props), {
            initContainers: [c("wait", "busybox")],
            containers: [c("api", `${API}@${D1}`), c("w", `${WORKER}@${D9}`)],
            serviceAccountName: "api",
        });
    });
});

describe("release/indexPins", () => {
    it("refuses two images of one repository, however it is spelled", () => {
        assert.throws(
            () =>
                indexPins({
                    a: { repository: "nginx", digest: D1, version: "1", gitSha: "0123abc" },
                    b: { repository: "docker.io/library/nginx", digest: D2, version: "1", gitSha: "0123abc" },
                }),
            {
                name: "ReleaseRuleError",
                message:
                    'images "a" and "b" pin the same repository docker.io/library/nginx; each image of a set has its own',
            },
        );
    });
});
