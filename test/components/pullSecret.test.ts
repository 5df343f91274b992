import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ofType, promiseOf, resetRecorded, setMocks, settle } from "../helpers/mocks";
import { ImagePin, pinWorkload, pinWorkloads, PullSecret } from "../../src/components";
import { withValueAt, WORKLOAD_KINDS } from "../../src/release";

const HOST = "127.0.0.1:5001";
const REPO = `${HOST}/shop/api`;
const D1 = "sha256:" + "1".repeat(64);
const PASSWORD = "pull-only-s3cret";
const REF = { name: "image-release-pull", registries: [HOST] };
const PINS: Record<string, ImagePin> = {
    api: { repository: REPO, digest: D1, version: "1.4.2", gitSha: "0123abc" },
};
const POD = {
    "image-release/version": "1.4.2",
    "image-release/digest": D1,
    "image-release/git-sha": "0123abc",
};
const CHANGE_CAUSE = { "kubernetes.io/change-cause": "image-release 1.4.2 sha256:111111111111" };

type Json = Record<string, unknown>;

/** How the SDK marks a secret value on the wire (the engine encrypts it in state). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** A type token per kind of the one list, in the group Pulumi's SDK registers it with. */
const TYPES: Record<string, string> = {
    Deployment: "kubernetes:apps/v1:Deployment",
    StatefulSet: "kubernetes:apps/v1:StatefulSet",
    DaemonSet: "kubernetes:apps/v1:DaemonSet",
    ReplicaSet: "kubernetes:apps/v1:ReplicaSet",
    ReplicationController: "kubernetes:core/v1:ReplicationController",
    Job: "kubernetes:batch/v1:Job",
    CronJob: "kubernetes:batch/v1:CronJob",
    Pod: "kubernetes:core/v1:Pod",
};

describe("components/pinWorkload with pullSecret: every workload kind references the pull Secret", () => {
    it("lists a type token for every workload kind", () =>
        assert.deepStrictEqual(
            Object.keys(TYPES),
            WORKLOAD_KINDS.map((k) => k.kind),
        ));

    for (const kind of WORKLOAD_KINDS) {
        const spec = kind.podSpecPath;
        const template = spec.slice(0, -1);
        const rollout = ["Deployment", "StatefulSet", "DaemonSet"].includes(kind.kind);
        const object = (podSpec: Json, annotated: boolean): unknown => {
            let out = withValueAt({ metadata: { name: "w" } }, spec, podSpec);
            if (!annotated) return out;
            out = withValueAt(out, [...template, "metadata", "annotations"], POD);
            return withValueAt(out, ["metadata", "annotations"], rollout ? { ...CHANGE_CAUSE, ...POD } : POD);
        };
        it(`${kind.kind}: a tag of a pinned 5001 repository is pinned, annotated and references the Secret`, () => {
            const props = object(
                { initContainers: [{ name: "m", image: `${REPO}:1.4.2` }], containers: [] },
                false,
            );
            const got = pinWorkload(TYPES[kind.kind], "w", props as Json, PINS, { pullSecret: REF });
            const want = object(
                {
                    initContainers: [{ name: "m", image: `${REPO}@${D1}` }],
                    containers: [],
                    imagePullSecrets: [{ name: "image-release-pull" }],
                },
                true,
            );
            assert.deepStrictEqual(got.props, want);
        });
        it(`${kind.kind}: already at the digest (PinnedDeployment's own), it gets only the reference`, () => {
            const podSpec = {
                containers: [{ name: "app", image: `${REPO}@${D1}` }],
                imagePullSecrets: [{ name: "x" }],
            };
            const got = pinWorkload(TYPES[kind.kind], "w", object(podSpec, false) as Json, PINS, {
                pullSecret: REF,
            });
            const want = { ...podSpec, imagePullSecrets: [{ name: "x" }, { name: "image-release-pull" }] };
            assert.deepStrictEqual(got.props, object(want, false));
            assert.deepStrictEqual(got.matched, ["api"]);
        });
        it(`${kind.kind}: an image of another registry, or a reference already there: left exactly as it is`, () => {
            for (const podSpec of [
                { containers: [{ name: "app", image: "127.0.0.1:5000/shop/web@" + D1 }] },
                { containers: [{ name: "app", image: `${REPO}@${D1}` }], imagePullSecrets: [REF] },
            ]) {
                const props = object(podSpec, false) as Json;
                assert.strictEqual(
                    pinWorkload(TYPES[kind.kind], "w", props, PINS, { pullSecret: REF }).props,
                    undefined,
                );
            }
        });
    }

    it("pinWorkloads refuses a pull Secret reference without a name or with a bad registry, naming it", () => {
        assert.throws(
            () => pinWorkloads(PINS, { pullSecret: { name: "", registries: ["127.0.0.1:5001/x"] } }),
            {
                name: "ReleaseRuleError",
                message:
                    'pinWorkloads: pullSecret.name: is required (got ""); pullSecret.registries: expected a registry host[:port] such as 127.0.0.1:5001 or ghcr.io, without a scheme, path or credentials (got "127.0.0.1:5001/x")',
            },
        );
        assert.throws(() => pinWorkloads({}, { pullSecret: { name: "s", registries: [] } }), {
            message: "pinWorkloads: pullSecret.registries: must name a registry (got [])",
        });
        // No pinned image at all: the transform still adds the reference (dev before its first build).
        assert.strictEqual(typeof pinWorkloads({}, { pullSecret: REF }), "function");
    });
});

describe("components/PullSecret under mocks", () => {
    before(() => setMocks("staging"));
    beforeEach(resetRecorded);

    it("a kubernetes.io/dockerconfigjson Secret in the namespace, its data the exact .dockerconfigjson, and a secret", async () => {
        const ps = new PullSecret("pull", {
            namespace: "staging",
            credentials: { [HOST]: { username: "puller", password: pulumi.secret(PASSWORD) } },
        });
        await settle();
        const [s] = ofType("kubernetes:core/v1:Secret");
        assert.strictEqual(s.name, "pull-secret");
        const { data, ...rest } = s.inputs;
        assert.deepStrictEqual(rest, {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "image-release-pull", namespace: "staging" },
            type: "kubernetes.io/dockerconfigjson",
        });
        // What the SDK sent the engine: the data as a secret (the engine keeps it only encrypted).
        const sent = data as { [SECRET_SIG]: string; value: Record<string, string> };
        assert.deepStrictEqual(Object.keys(sent).sort(), [SECRET_SIG, "value"]);
        assert.strictEqual(sent[SECRET_SIG], SECRET_VALUE);
        const auth = Buffer.from(`puller:${PASSWORD}`).toString("base64");
        assert.strictEqual(
            Buffer.from(sent.value[".dockerconfigjson"], "base64").toString("utf8"),
            `{"auths":{"${HOST}":{"username":"puller","password":"${PASSWORD}","auth":"${auth}"}}}`,
        );
        assert.strictEqual(await pulumi.isSecret(ps.secret.data), true);
        assert.strictEqual(await promiseOf(ps.secretName), "image-release-pull");
        assert.deepStrictEqual(await promiseOf(ps.registries), [HOST]);
    });

    it("a plain password still reaches the Secret only as a secret", async () => {
        const ps = new PullSecret("plain", {
            namespace: "staging",
            credentials: { [HOST]: { username: "puller", password: PASSWORD } },
            secretName: "team-pull",
        });
        await settle();
        assert.strictEqual(await pulumi.isSecret(ps.secret.data), true);
        assert.strictEqual(await promiseOf(ps.secretName), "team-pull");
    });

    it("refuses bad args before creating anything, naming each and never quoting a password", async () => {
        assert.throws(
            () =>
                new PullSecret("bad", {
                    namespace: "Staging",
                    credentials: {
                        [`u:${PASSWORD}@${HOST}`]: { username: "u", password: PASSWORD },
                        [HOST]: { username: "", password: "" },
                    },
                }),
            (e: unknown) => {
                assert.ok(pulumi.InputPropertiesError.isInstance(e));
                assert.strictEqual(
                    (e as Error).message,
                    [
                        'invalid arguments for PullSecret "bad":',
                        `  credentials["<redacted>@${HOST}"]: expected a registry host[:port] such as 127.0.0.1:5001 or ghcr.io, without a scheme, path or credentials (got "<redacted>@${HOST}")`,
                        `  credentials["${HOST}"].username: is required (a non-empty string)`,
                        `  credentials["${HOST}"].password: is required (a non-empty string)`,
                        '  namespace: must be an RFC 1123 label: lowercase alphanumerics or "-", starting and ending with an alphanumeric (got "Staging")',
                    ].join("\n"),
                );
                assert.ok(!(e as Error).message.includes(PASSWORD));
                return true;
            },
        );
        assert.throws(() => new PullSecret("none", { namespace: "staging", credentials: {} }), {
            message: 'invalid arguments for PullSecret "none":\n  credentials: must name a registry (got {})',
        });
        await settle();
        assert.deepStrictEqual(ofType("kubernetes:core/v1:Secret"), []);
    });
});
