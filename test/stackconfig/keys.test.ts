import * as assert from "assert";
import { KEY_TABLE, PIN_FIELDS, StackImageConfig, validateStackConfig } from "../../src/stackconfig";

const D = `sha256:${"a".repeat(64)}`;
const D2 = `sha256:${"b".repeat(64)}`;
const REPO = "127.0.0.1:5000/image-release/hello";
const REPO2 = "127.0.0.1:5001/prod/hello";
const F = "stacks/Pulumi.staging.yaml";

function cfg(o: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [`image-release:${k}`, v]));
}

/**
 * One row per key of the table: a value it accepts (and the field it fills), and a value it refuses
 * (with the problem, exactly). Image keys are tried again inside a member of `image-release:images`,
 * where the same rule names the key by its path.
 */
const rows: {
    key: string;
    stack?: string;
    good: unknown;
    want: Partial<StackImageConfig>;
    bad: unknown;
    /** What the message quotes, when it is a part of the bad value. */
    got?: unknown;
    problem: (label: (key: string) => string) => string;
}[] = [
    {
        key: "repository",
        good: REPO2,
        want: { repository: REPO2 },
        bad: `${REPO}:1.0`,
        problem: (l) => `must be a repository without a tag or digest (pin with ${l("digest")})`,
    },
    {
        key: "sourceRepository",
        good: REPO2,
        want: { sourceRepository: REPO2 },
        bad: REPO,
        problem: (l) => `is ${l("repository")} itself; remove it (nothing to copy)`,
    },
    {
        key: "digest",
        good: D2,
        want: { digest: D2 },
        bad: "sha256:abc",
        problem: () => "expected sha256:<64 hex>, but it has 3 hex chars",
    },
    {
        key: "platforms",
        good: ["linux/arm64"],
        want: { platforms: ["linux/arm64"] },
        bad: ["amd64"],
        got: "amd64",
        problem: () => "expected os/arch[/variant] such as linux/amd64",
    },
    {
        key: "version",
        good: "1.5.0-rc.1",
        want: { version: "1.5.0-rc.1" },
        bad: "1.5",
        problem: () => "not a semver version",
    },
    {
        key: "channel",
        good: "staging",
        want: { channel: "staging" },
        bad: "qa",
        problem: () => "expected one of dev, staging, prod",
    },
    {
        key: "gitSha",
        good: "0123abc",
        want: { gitSha: "0123abc" },
        bad: "main",
        problem: () => "expected 7-40 lowercase hex chars",
    },
    {
        key: "build",
        stack: "dev",
        good: { context: "app" },
        want: { build: { context: "app", dockerfile: "Dockerfile" } },
        bad: { context: "app", dockerfile: "" },
        got: "",
        problem: () => "build.dockerfile must be a non-empty string",
    },
    {
        key: "verifyDigest",
        good: "false",
        want: { verifyDigest: false },
        bad: "no",
        problem: () => "expected true or false",
    },
    {
        key: "namespace",
        good: "team-a",
        want: { namespace: "team-a" },
        bad: "team-a-",
        problem: () =>
            'must be an RFC 1123 label: lowercase alphanumerics or "-", starting and ending with an alphanumeric',
    },
    {
        key: "createNamespace",
        good: "false",
        want: { createNamespace: false },
        bad: "yes",
        problem: () => "expected true or false",
    },
    {
        key: "admissionPolicy",
        good: "false",
        want: { admissionPolicy: false },
        bad: "no",
        problem: () => "expected true or false",
    },
    {
        key: "promoteFrom",
        good: "dev",
        want: { promoteFrom: "dev" },
        bad: "Dev",
        problem: () => "expected a stack name matching ^[a-z][a-z0-9-]*$",
    },
    {
        key: "promotedFrom",
        good: "dev",
        want: { promotedFrom: "dev" },
        bad: "dev\u2028image-release:kubeContext: evil",
        problem: () => "expected a stack name matching ^[a-z][a-z0-9-]*$",
    },
    {
        key: "kubeconfig",
        good: "~/.kube/config",
        want: { kubeconfig: "~/.kube/config" },
        bad: "",
        problem: () => "expected a non-empty string",
    },
    {
        key: "kubeContext",
        good: "kind-local",
        want: { kubeContext: "kind-local" },
        bad: ["kind-local"],
        problem: () => "expected a non-empty string",
    },
    {
        key: "source",
        good: "https://git.example.com/team/hello",
        want: { source: "https://git.example.com/team/hello" },
        bad: "git@git.example.com:team/hello",
        problem: () => "expected an http(s) URL without credentials",
    },
    {
        key: "training",
        good: { datasetVersion: "v3" },
        want: { training: { datasetVersion: "v3" } },
        bad: { datasetVersion: "v3", command: "--train" },
        got: "--train",
        problem: () => "training.command must be a list of strings",
    },
    {
        key: "signingKey",
        good: "keys/a.pub",
        want: { signingKeys: ["keys/a.pub"] },
        bad: [],
        problem: () => "expected a public key path, or a list of them (key rotation)",
    },
    {
        key: "requireSignature",
        good: "true",
        want: { requireSignature: true },
        bad: "maybe",
        problem: () => "expected true or false",
    },
    {
        key: "verifierKeys",
        good: ["keys/verifier.pub", "keys/verifier-2027.pub"],
        want: { verifierKeys: ["keys/verifier.pub", "keys/verifier-2027.pub"] },
        bad: [],
        problem: () => "expected a public key path, or a list of them (key rotation)",
    },
    {
        key: "requireVerification",
        good: "true",
        want: { requireVerification: true },
        bad: "sometimes",
        problem: () => "expected true or false",
    },
    {
        key: "allowImages",
        good: ["docker.io/library/busybox", "ghcr.io/org/sidecar"],
        want: { allowImages: ["docker.io/library/busybox", "ghcr.io/org/sidecar"] },
        bad: ["busybox:1.36"],
        got: "busybox:1.36",
        problem: () => "must be a repository without a tag or digest",
    },
    {
        key: "pullCredentials",
        // As the stack file holds it: the password is ciphertext only the engine decrypts.
        good: { "127.0.0.1:5001": { username: "puller", password: { secure: "v1:AAAA" } } },
        want: {
            pullCredentials: { "127.0.0.1:5001": { username: "puller", password: { secure: "v1:AAAA" } } },
        },
        bad: {},
        problem: () => "expected a map of registry host to {username, password}",
    },
    {
        key: "checks",
        good: { rollout: { timeoutSeconds: 60 } },
        want: {
            checks: { rollout: { timeoutSeconds: 60, maxRestarts: 0 }, http: [], job: [], soakSeconds: 0 },
        },
        bad: "often",
        problem: () => "expected a map with rollout, http, job, soakSeconds",
    },
    {
        key: "service",
        good: "true",
        want: { service: true },
        bad: "on",
        problem: () => "expected true or false",
    },
    {
        key: "rolloutTimeoutSeconds",
        good: "90",
        want: { rolloutTimeoutSeconds: 90 },
        bad: "1m30s",
        problem: () => "expected a whole number of 1 or more",
    },
    {
        key: "builders",
        good: { "linux/arm64": "tcp://127.0.0.1:12340" },
        want: { builders: { "linux/arm64": "tcp://127.0.0.1:12340" } },
        bad: "tcp://127.0.0.1:12340",
        problem: () =>
            'expected a map of platform to BuildKit address, e.g. {"linux/arm64": "tcp://127.0.0.1:12340"}',
    },
    {
        key: "images",
        good: { api: { repository: REPO2, digest: D2 } },
        want: { repository: REPO2, digest: D2, form: "set" },
        bad: [REPO],
        problem: () =>
            "expected a map of image name to a map of repository, sourceRepository, digest, platforms, version, gitSha, build, promotedFrom",
    },
];

/** What a message shows for a value: strings as written (invisible characters escaped), the rest as JSON. */
function shown(v: unknown): string {
    const text = typeof v === "string" ? v : JSON.stringify(v);
    return text.replace(/\u2028/g, "\\u2028");
}

describe("the key table: one row per key, each accepted and refused with its exact message", () => {
    it("covers every key of the table, in the table's order", () =>
        assert.deepStrictEqual(
            rows.map((r) => r.key),
            KEY_TABLE.map((r) => r.key),
        ));
    it("gives every key a line of help", () =>
        assert.deepStrictEqual(
            KEY_TABLE.filter((r) => r.help.length < 10).map((r) => r.key),
            [],
        ));
    it("derives the pin's fields in the order a stack file keeps them", () =>
        assert.deepStrictEqual(PIN_FIELDS, [
            "digest",
            "version",
            "gitSha",
            "promotedFrom",
            "sourceRepository",
        ]));

    it("createNamespace: true (the default) leaves the field out, so stack files without the key read the same", () => {
        for (const value of [true, "true"]) {
            const got = validateStackConfig(
                "staging",
                F,
                cfg({ repository: REPO, digest: D, createNamespace: value }),
            );
            assert.strictEqual("createNamespace" in got, false);
        }
    });

    it("service: false (the default) leaves the field out, so stack files without the key read the same", () => {
        for (const value of [false, "false"]) {
            const got = validateStackConfig(
                "staging",
                F,
                cfg({ repository: REPO, digest: D, service: value }),
            );
            assert.strictEqual("service" in got, false);
        }
    });

    it("builders: each platform one the stack builds, each address tcp://host:port or unix:///path", () => {
        const where = (p: string) => `${F}: image-release:builders["${p}"]`;
        const table: [Record<string, unknown>, string | undefined][] = [
            [{ "linux/arm64": "unix:///run/buildkit/buildkitd.sock" }, undefined],
            [{ "linux/amd64": "tcp://builder.internal:1234", "linux/arm64": "tcp://[::1]:1234" }, undefined],
            [
                { "linux/s390x": "tcp://127.0.0.1:12340" },
                `${where("linux/s390x")}: not a platform of image-release:platforms (linux/amd64, linux/arm64) (got "linux/s390x")`,
            ],
            [
                { "linux/ARM64": "tcp://127.0.0.1:12340" },
                `${where("linux/ARM64")}: expected os/arch[/variant] such as linux/arm64 (got "linux/ARM64")`,
            ],
            [
                { "linux/arm64": "http://127.0.0.1:12340" },
                `${where("linux/arm64")}: expected tcp://<host>:<port> or unix:///<path>, e.g. tcp://127.0.0.1:12340 (got "http://127.0.0.1:12340")`,
            ],
            [
                { "linux/arm64": "tcp://127.0.0.1:99999" },
                `${where("linux/arm64")}: port 99999 is not 1-65535 (got "tcp://127.0.0.1:99999")`,
            ],
            [
                { "linux/arm64": "tcp://127.0.0.1" },
                `${where("linux/arm64")}: expected tcp://<host>:<port> or unix:///<path>, e.g. tcp://127.0.0.1:12340 (got "tcp://127.0.0.1")`,
            ],
            [{ "linux/arm64": 12340 }, `${where("linux/arm64")}: expected an address string (got "12340")`],
        ];
        for (const [raw, want] of table) {
            const read = () =>
                validateStackConfig(
                    "dev",
                    F,
                    cfg({
                        repository: REPO,
                        build: { context: ".", dockerfile: "Dockerfile" },
                        builders: raw,
                    }),
                );
            if (want === undefined) assert.deepStrictEqual(read().builders, raw);
            else assert.throws(read, { message: want });
        }
    });

    it("rolloutTimeoutSeconds: a YAML number as the engine hands it (its digits) or as a number; never 0, a fraction or a sign", () => {
        const table: [unknown, number | string][] = [
            ["600", 600],
            [45, 45],
            ["0", "expected a whole number of 1 or more"],
            ["1.5", "expected a whole number of 1 or more"],
            [-5, "expected a whole number of 1 or more"],
            ["+30", "expected a whole number of 1 or more"],
            ["030", "expected a whole number of 1 or more"],
        ];
        for (const [raw, want] of table) {
            const read = () =>
                validateStackConfig(
                    "staging",
                    F,
                    cfg({ repository: REPO, digest: D, rolloutTimeoutSeconds: raw }),
                );
            if (typeof want === "number") assert.strictEqual(read().rolloutTimeoutSeconds, want, String(raw));
            else
                assert.throws(read, {
                    message: `${F}: image-release:rolloutTimeoutSeconds: ${want} (got "${String(raw)}")`,
                });
        }
    });

    for (const r of rows) {
        const stack = r.stack ?? "staging";
        const base = r.key === "images" ? {} : { repository: REPO, digest: D };
        it(`${r.key}: accepts ${JSON.stringify(r.good)}`, () => {
            const got = validateStackConfig(stack, F, cfg({ ...base, [r.key]: r.good }));
            const picked = Object.fromEntries(
                Object.keys(r.want).map((k) => [k, got[k as keyof StackImageConfig]]),
            );
            assert.deepStrictEqual(picked, r.want);
        });
        it(`${r.key}: refuses ${JSON.stringify(r.bad)}`, () => {
            const label = (key: string) => `image-release:${key}`;
            assert.throws(() => validateStackConfig(stack, F, cfg({ ...base, [r.key]: r.bad })), {
                name: "StackConfigError",
                message: `${F}: image-release:${r.key}: ${r.problem(label)} (got "${shown("got" in r ? r.got : r.bad)}")`,
            });
        });
        const row = KEY_TABLE.find((k) => k.key === r.key);
        if (row === undefined || !("image" in row)) continue;
        it(`${r.key}: refuses ${JSON.stringify(r.bad)} in an image of a set, naming its path`, () => {
            const label = (key: string) => `image-release:images.api.${key}`;
            const member = { repository: REPO, digest: D, [r.key]: r.bad };
            assert.throws(() => validateStackConfig(stack, F, cfg({ images: { api: member } })), {
                name: "StackConfigError",
                message: `${F}: image-release:images.api.${r.key}: ${r.problem(label)} (got "${shown("got" in r ? r.got : r.bad)}")`,
            });
        });
        it(`${r.key}: accepts ${JSON.stringify(r.good)} in an image of a set`, () => {
            const member = { repository: REPO, digest: D, [r.key]: r.good };
            const got = validateStackConfig(stack, F, cfg({ images: { api: member } }));
            const field = Object.keys(r.want)[0];
            assert.deepStrictEqual(
                (got.images.api as unknown as Record<string, unknown>)[field],
                (r.want as Record<string, unknown>)[field],
            );
        });
    }
});
