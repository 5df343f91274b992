import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    assertRejects,
    ofType,
    promiseOf,
    recorded,
    registrationOf,
    resetRecorded,
    setMocks,
    settle,
} from "../helpers/mocks";
import { ManifestNotFoundError } from "../../src/registry";
import { itRefusesArgs } from "../helpers/refusals";
import type {
    PinnedDeployment as PinnedDeploymentT,
    PinnedDeploymentArgs,
} from "../../src/components/pinnedDeployment";

const REPO = "127.0.0.1:5000/image-release/hello";
const D = "sha256:" + "0123456789abcdef".repeat(4);

describe("components/PinnedDeployment", () => {
    let PinnedDeployment: typeof PinnedDeploymentT;
    before(async () => {
        await setMocks("staging");
        ({ PinnedDeployment } = await import("../../src/components/pinnedDeployment"));
    });
    beforeEach(resetRecorded);

    const base: PinnedDeploymentArgs = {
        repository: REPO,
        digest: D,
        version: "1.4.2",
        gitSha: "0123abc",
        promotedFrom: "dev",
        verifyDigest: false,
    };

    it("creates a Deployment with the exact pinned image and annotations", async () => {
        const c = new PinnedDeployment("hello", { ...base, namespace: "staging" });
        assert.strictEqual(await promiseOf(c.image), `${REPO}@${D}`);
        await settle();
        const [dep] = ofType("kubernetes:apps/v1:Deployment");
        assert.strictEqual(dep.name, "hello-deployment");
        assert.deepStrictEqual(dep.inputs.metadata, {
            name: "hello",
            namespace: "staging",
            labels: { app: "hello" },
            annotations: {
                "kubernetes.io/change-cause": "image-release 1.4.2 sha256:0123456789ab (promoted from dev)",
                "image-release/version": "1.4.2",
                "image-release/digest": D,
                "image-release/git-sha": "0123abc",
            },
        });
        assert.deepStrictEqual(dep.inputs.spec, {
            replicas: 1,
            revisionHistoryLimit: 10,
            selector: { matchLabels: { app: "hello" } },
            template: {
                metadata: {
                    labels: { app: "hello" },
                    annotations: {
                        "image-release/version": "1.4.2",
                        "image-release/digest": D,
                        "image-release/git-sha": "0123abc",
                    },
                },
                spec: {
                    containers: [
                        {
                            name: "hello",
                            image: `${REPO}@${D}`,
                            imagePullPolicy: "IfNotPresent",
                            ports: [{ containerPort: 8080 }],
                        },
                    ],
                },
            },
        });
        assert.strictEqual(ofType("kubernetes:core/v1:Service").length, 0);
    });

    it("adds a Service only when asked", async () => {
        new PinnedDeployment("web", { ...base, service: true, containerPort: 9000 });
        await settle();
        const [svc] = ofType("kubernetes:core/v1:Service");
        assert.strictEqual(svc.name, "web-service");
        assert.deepStrictEqual(svc.inputs.spec, {
            type: "ClusterIP",
            selector: { app: "web" },
            ports: [{ port: 9000, targetPort: 9000 }],
        });
    });

    const header = 'invalid arguments for PinnedDeployment "x":\n  ';
    const nsRule =
        'must be an RFC 1123 label: lowercase alphanumerics or "-", starting and ending with an alphanumeric';
    const bad: { name: string; args: Partial<PinnedDeploymentArgs>; message: string }[] = [
        {
            name: "tag instead of digest",
            args: { digest: "1.4.2" },
            message: header + 'digest: must be a sha256 digest, not a tag (got "1.4.2")',
        },
        {
            name: "short digest",
            args: { digest: "sha256:abcdef123456" },
            message:
                header + 'digest: is a short digest (12 of 64 hex characters) (got "sha256:abcdef123456")',
        },
        {
            name: "tagged repository, missing version and negative history, all at once",
            args: { repository: `${REPO}:latest`, version: "", revisionHistoryLimit: -1 },
            message:
                header +
                `repository: must not contain a tag (got "${REPO}:latest")\n` +
                "  version: is required\n" +
                '  revisionHistoryLimit: must be a non-negative integer (got "-1")',
        },
        {
            name: "negative replicas",
            args: { replicas: -1 },
            message: header + 'replicas: must be a non-negative integer (got "-1")',
        },
        {
            name: "fractional replicas",
            args: { replicas: 1.5 },
            message: header + 'replicas: must be a non-negative integer (got "1.5")',
        },
        {
            name: "port 0",
            args: { containerPort: 0 },
            message: header + 'containerPort: must be an integer from 1 to 65535 (got "0")',
        },
        {
            name: "port 65536",
            args: { containerPort: 65536 },
            message: header + 'containerPort: must be an integer from 1 to 65535 (got "65536")',
        },
        {
            name: "fractional port",
            args: { containerPort: 80.5 },
            message: header + 'containerPort: must be an integer from 1 to 65535 (got "80.5")',
        },
        {
            name: "uppercase namespace",
            args: { namespace: "Staging" },
            message: header + `namespace: ${nsRule} (got "Staging")`,
        },
        {
            name: "namespace ending in a dash",
            args: { namespace: "staging-" },
            message: header + `namespace: ${nsRule} (got "staging-")`,
        },
        {
            name: "namespace with an underscore",
            args: { namespace: "my_ns" },
            message: header + `namespace: ${nsRule} (got "my_ns")`,
        },
        {
            name: "empty namespace",
            args: { namespace: "" },
            message: header + `namespace: ${nsRule} (got "")`,
        },
        {
            name: "64-character namespace",
            args: { namespace: "a".repeat(64) },
            message:
                header +
                `namespace: must be an RFC 1123 label of at most 63 characters, not 64 (got "${"a".repeat(64)}")`,
        },
        {
            name: "bad namespace, replicas and port, all at once",
            args: { namespace: "Prod", replicas: -2, containerPort: 70000 },
            message:
                header +
                `namespace: ${nsRule} (got "Prod")\n` +
                '  replicas: must be a non-negative integer (got "-2")\n' +
                '  containerPort: must be an integer from 1 to 65535 (got "70000")',
        },
    ];
    itRefusesArgs<PinnedDeploymentArgs>({
        componentType: "image-release:deploy:PinnedDeployment",
        rows: bad,
        // service: true, so a refused Output must keep the Service from registering too.
        make: (args) => new PinnedDeployment("x", { ...base, service: true, ...args }),
        outputOf: (c) => (c as InstanceType<typeof PinnedDeployment>).image,
    });

    // A copy's tags come from version and gitSha (release/tags.ts copiedTags), so with a sourceRepository
    // both must make a tag. Given as Outputs, the copy's inputs carry the same refusal as the Deployment's.
    const badCopyTags: { name: string; args: Partial<PinnedDeploymentArgs>; message: string }[] = [
        {
            name: "a copy whose version and gitSha make no tag (the copy carries X.Y.Z and git-<7>)",
            args: { sourceRepository: "127.0.0.1:5001/other/hello", version: "1.4", gitSha: "main" },
            message:
                header +
                'version: cannot name the copy\'s tag: version "1.4" is not a semver version (expected X.Y.Z[-pre][+build])\n' +
                '  gitSha: cannot name the copy\'s tag: git sha "main" is not 7-40 hex characters',
        },
        {
            name: "a copy whose version has build metadata",
            args: { sourceRepository: "127.0.0.1:5001/other/hello", version: "1.4.2+b5" },
            message:
                header +
                'version: cannot name the copy\'s tag: version "1.4.2+b5" has build metadata "+b5", which is not valid in an image tag; drop it or set buildMetadata: "underscore"',
        },
    ];
    for (const c of badCopyTags) {
        it(`refuses ${c.name}, plain or as Outputs, and registers nothing else`, async () => {
            assert.throws(
                () => new PinnedDeployment("x", { ...base, ...c.args }),
                (e: unknown) => pulumi.InputPropertiesError.isInstance(e) && e.message === c.message,
            );
            const lifted = Object.fromEntries(Object.entries(c.args).map(([k, v]) => [k, pulumi.output(v)]));
            const d = new PinnedDeployment("x", { ...base, ...lifted });
            await assertRejects(d.image, c.message, ["metadata", "spec", "outputs", "from"]);
            assert.deepStrictEqual(
                recorded.map((r) => r.type),
                ["image-release:deploy:PinnedDeployment", "image-release:deploy:PinnedDeployment"],
            );
        });
    }

    it("accepts the bounds: 0 replicas, ports 1 and 65535, a 63-character namespace", async () => {
        const ns = "a" + "-0".repeat(31);
        assert.strictEqual(ns.length, 63);
        new PinnedDeployment("lo", { ...base, replicas: 0, containerPort: 1, namespace: ns });
        new PinnedDeployment("hi", { ...base, containerPort: pulumi.output(65535), namespace: "0" });
        await settle();
        // Registration order is the SDK's, so key by name.
        assert.deepStrictEqual(
            Object.fromEntries(
                ofType("kubernetes:apps/v1:Deployment").map((r) => [
                    r.name,
                    [
                        r.inputs.metadata.namespace,
                        r.inputs.spec.replicas,
                        r.inputs.spec.template.spec.containers[0].ports,
                    ],
                ]),
            ),
            {
                "lo-deployment": [ns, 0, [{ containerPort: 1 }]],
                "hi-deployment": ["0", 1, [{ containerPort: 65535 }]],
            },
        );
    });

    it("verifies ref and platforms, and registers no Deployment when verification fails", async () => {
        const calls: [string, string[]][] = [];
        const client = {
            verify: async (ref: string, platforms: string[]) => {
                calls.push([ref, platforms]);
                throw new Error(`digest ${D} not found in repo ${REPO}`);
            },
        };
        const c = new PinnedDeployment("v", { ...base, verifyDigest: true, registryClient: client });
        await assertRejects(
            c.image,
            `PinnedDeployment "v": digest verification failed: digest ${D} not found in repo ${REPO}`,
            ["outputs", "spec"],
        );
        assert.deepStrictEqual(calls, [[`${REPO}@${D}`, ["linux/amd64", "linux/arm64"]]]);
        assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
    });

    it("sourceRepository: the digest is copied into the repository (with X.Y.Z and git- tags) before the Deployment", async () => {
        const SOURCE = "127.0.0.1:5000/image-release/staging";
        const TARGET = "127.0.0.1:5001/prod/hello";
        const c = new PinnedDeployment("hello", { ...base, repository: TARGET, sourceRepository: SOURCE });
        assert.strictEqual(await promiseOf(c.image), `${TARGET}@${D}`);
        await settle();
        const copies = recorded.filter((r) => r.type.includes(":dynamic:"));
        assert.deepStrictEqual(
            copies.map((r) => [r.name, r.inputs]),
            [["hello-copy", { from: SOURCE, to: TARGET, digest: D, tags: ["1.4.2", "git-0123abc"] }]],
        );
        const copyUrn = registrationOf("hello-copy").urn;
        assert.ok(registrationOf("hello-deployment").dependencies.includes(copyUrn));
    });

    // The git tag that travels with a copy is the release's own (release/tags.ts): `git-<7>`, whatever
    // length of sha the stack file holds, so `pulumi up` and the CLI's copy write the same tag.
    const copiedTagRows: { name: string; version: string; gitSha: string; tags: string[] }[] = [
        { name: "a 7-hex gitSha", version: "1.4.2", gitSha: "0123abc", tags: ["1.4.2", "git-0123abc"] },
        {
            name: "a 40-hex gitSha",
            version: "1.4.2",
            gitSha: "0123abc4567890def0123abc4567890def012345",
            tags: ["1.4.2", "git-0123abc"],
        },
        {
            name: "a pre-release and a 12-hex gitSha",
            version: "2.0.0-rc.1",
            gitSha: "0123abc45678",
            tags: ["2.0.0-rc.1", "git-0123abc"],
        },
    ];
    for (const row of copiedTagRows) {
        it(`sourceRepository: the copy carries X.Y.Z and git-<7> for ${row.name}`, async () => {
            new PinnedDeployment("hello", {
                ...base,
                version: row.version,
                gitSha: row.gitSha,
                repository: "127.0.0.1:5001/prod/hello",
                sourceRepository: REPO,
            });
            await settle();
            const [copy] = recorded.filter((r) => r.type.includes(":dynamic:"));
            assert.deepStrictEqual(copy.inputs.tags, row.tags);
        });
    }

    it("sourceRepository: verification falls back to the source while the target lacks the digest", async () => {
        const SOURCE = "127.0.0.1:5000/image-release/staging";
        const calls: string[] = [];
        const client = {
            verify: async (ref: string) => {
                calls.push(ref);
                if (ref.startsWith(REPO)) throw new ManifestNotFoundError(REPO, D);
                return { platforms: [{ platform: "linux/amd64", digest: "sha256:" + "a".repeat(64) }] };
            },
        } as unknown as PinnedDeploymentArgs["registryClient"];
        const c = new PinnedDeployment("v", {
            ...base,
            verifyDigest: true,
            registryClient: client,
            sourceRepository: SOURCE,
        });
        assert.deepStrictEqual(await promiseOf(c.platformDigests), {
            "linux/amd64": "sha256:" + "a".repeat(64),
        });
        assert.deepStrictEqual(calls, [`${REPO}@${D}`, `${SOURCE}@${D}`]);
    });

    describe("verifiedPin: the pin check the program already ran", () => {
        const SOURCE = "127.0.0.1:5000/image-release/staging";
        const AMD = "sha256:" + "a".repeat(64);
        const ARM = "sha256:" + "b".repeat(64);
        const pin = (over: { digest?: string; repository?: string; platforms?: string[] } = {}) => ({
            digest: over.digest ?? D,
            repository: over.repository ?? REPO,
            description: {
                name: over.repository ?? REPO,
                mediaType: "application/vnd.oci.image.index.v1+json",
                digest: over.digest ?? D,
                platforms: (over.platforms ?? ["linux/amd64", "linux/arm64"]).map((p) => ({
                    platform: p,
                    os: "linux",
                    architecture: p.split("/")[1],
                    digest: p.endsWith("amd64") ? AMD : ARM,
                    size: 1,
                })),
                labels: {},
            },
        });
        const refusing = {
            verify: async (): Promise<never> => assert.fail("asked the registry despite a verified pin"),
        };

        const accepted: { name: string; args: Partial<PinnedDeploymentArgs> }[] = [
            { name: "in the repository", args: { verifiedPin: pin() } },
            {
                name: "in the sourceRepository, not copied yet",
                args: { sourceRepository: SOURCE, verifiedPin: pin({ repository: SOURCE }) },
            },
        ];
        for (const a of accepted) {
            it(`is taken as is, with no registry call: ${a.name}`, async () => {
                const c = new PinnedDeployment("v", {
                    ...base,
                    verifyDigest: true,
                    registryClient: refusing,
                    ...a.args,
                });
                assert.deepStrictEqual(await promiseOf(c.platformDigests), {
                    "linux/amd64": AMD,
                    "linux/arm64": ARM,
                });
                assert.strictEqual(await promiseOf(c.image), `${REPO}@${D}`);
            });
        }

        const other = "sha256:" + "f".repeat(64);
        const refused: { name: string; given: ReturnType<typeof pin>; why: string }[] = [
            { name: "another digest", given: pin({ digest: other }), why: `it is for digest ${other}` },
            {
                name: "another repository",
                given: pin({ repository: SOURCE }),
                why: `it was verified in ${SOURCE}, not in ${REPO}`,
            },
            {
                name: "fewer platforms",
                given: pin({ platforms: ["linux/amd64"] }),
                why: "it lacks platform(s) linux/arm64 (has linux/amd64)",
            },
        ];
        for (const r of refused) {
            it(`a pin of ${r.name} is refused and no Deployment registers`, async () => {
                const c = new PinnedDeployment("v", { ...base, verifyDigest: true, verifiedPin: r.given });
                await assertRejects(
                    c.image,
                    `PinnedDeployment "v": verifiedPin does not vouch for ${REPO}@${D}: ${r.why}`,
                    ["outputs", "spec"],
                );
                assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
            });
        }

        it("verifyDigest: false ignores it", async () => {
            const c = new PinnedDeployment("v", { ...base, verifiedPin: pin({ digest: other }) });
            assert.deepStrictEqual(await promiseOf(c.platformDigests), {});
        });
    });

    it("sourceRepository: refused when it is the repository itself, or not a repository", async () => {
        assert.throws(() => new PinnedDeployment("same", { ...base, sourceRepository: REPO }), {
            message: `invalid arguments for PinnedDeployment "same":\n  sourceRepository: is the repository itself; leave it unset when the digest is already there (got "${REPO}")`,
        });
        assert.throws(() => new PinnedDeployment("tagged", { ...base, sourceRepository: `${REPO}:1.0` }), {
            message: `invalid arguments for PinnedDeployment "tagged":\n  sourceRepository: must not contain a tag (got "${REPO}:1.0")`,
        });
        await settle();
        assert.strictEqual(recorded.filter((r) => r.type.includes(":dynamic:")).length, 0);
    });
});
